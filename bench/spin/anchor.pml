/* The Spin anchor of BENCHMARKS.md: the same race as bench/spin/anchor-NxP.scn
 * (bench/spin/anchor.sh), written by hand in Promela for Spin's own full
 * verification with partial-order reduction.
 *
 * N CPU threads each read P 4 KiB pages of one BAR mapping (dmabuf variant)
 * while an admin thread writes PCI_COMMAND.MEM=0 then MEM=1. Locks and steps
 * follow vfiosim's model of the patched kernel:
 *   read:   the walk under ptl; on a miss exc_page_fault(): mmap_lock (read),
 *           vfio_pci_mmap_huge_fault(): resv, SIGBUS if revoked, registration;
 *           memory_lock (read), re-check, vmf_insert_pfn() under ptl; retry.
 *   MEM=0:  memory_lock (write); vfio_pci_dma_buf_move(revoked): resv, status
 *           revoked, unlock; unmap_mapping_range(): i_mmap (read), ptl, zap all;
 *           the config write; up_write.
 *   MEM=1:  memory_lock (write); the config write; dma_buf_move(ok): resv,
 *           status ok; up_write.
 * Property (vfiosim's stale-pte invariant): no PTE is present while MEM is off.
 * Deadlocks are Spin's invalid end states.
 *   spin -a -DN=3 -DP=2 anchor.pml && gcc -O2 -DSAFETY -DNOFAIR -o pan pan.c && ./pan -m100000
 */
#ifndef N
#define N 2
#endif
#ifndef P
#define P 1
#endif

bool mem = true;          /* PCI_COMMAND.MEM */
bool revoked = false;     /* priv->status != VFIO_DMABUF_OK */
bool pte[P];              /* one PTE per page */
byte npte = 0;            /* present PTEs */
byte ptl_r = 0;           /* page-table lock: lockless walkers as readers */
bool ptl_w = false;
byte mmap_r = 0;          /* mm->mmap_lock, read side only in this race */
bool resv = false;        /* the dma-buf's resv mutex */
byte mem_r = 0;           /* vdev->memory_lock */
bool mem_w = false;

inline ptl_write() { atomic { !ptl_w && ptl_r == 0 -> ptl_w = true } }
inline resv_lock() { atomic { !resv -> resv = true } }

proctype cpu(byte id) {
  byte k = 0;
  bool sig;
  do
  :: k < P ->
     sig = false;
     do
     :: /* the walk: a present leaf reads the BAR (under ptl for read) */
        atomic { !ptl_w -> ptl_r++ };
        if
        :: pte[k] -> ptl_r--; break
        :: else -> ptl_r--
        fi;
        /* exc_page_fault() */
        atomic { mmap_r++ };
        resv_lock();
        if
        :: revoked -> resv = false; mmap_r--; sig = true; break
        :: else -> resv = false
        fi;
        atomic { !mem_w -> mem_r++ };
        if
        :: revoked -> sig = true
        :: else ->
           ptl_write();
           if
           :: !pte[k] -> pte[k] = true; npte++
           :: else -> skip
           fi;
           ptl_w = false
        fi;
        mem_r--;
        mmap_r--;
        if
        :: sig -> break
        :: else -> skip   /* VM_FAULT_NOPAGE: the access is retried */
        fi
     od;
     k++
  :: else -> break
  od
}

proctype admin() {
  byte k;
  /* command fd mem=0 */
  atomic { !mem_w && mem_r == 0 -> mem_w = true };
  resv_lock(); revoked = true; resv = false;
  ptl_write();
  k = 0;
  do
  :: k < P -> if :: pte[k] -> pte[k] = false; npte-- :: else -> skip fi; k++
  :: else -> break
  od;
  ptl_w = false;
  mem = false;
  mem_w = false;
  /* command fd mem=1 */
  atomic { !mem_w && mem_r == 0 -> mem_w = true };
  mem = true;
  resv_lock(); revoked = false; resv = false;
  mem_w = false
}

/* The stale-pte invariant, checked in every reachable state. */
active proctype invariant() {
end_inv:
  atomic { !mem && npte > 0 -> assert(false) }
}

init {
  byte i = 0;
  atomic {
    do
    :: i < N -> run cpu(i); i++
    :: else -> break
    od;
    run admin()
  }
}
