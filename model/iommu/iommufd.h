// iommufd as an importer of a VFIO dma-buf (drivers/iommu/iommufd/pages.c): an
// IOAS area whose iopt_pages come from the dma-buf. Its move_notify callback
// takes pages->mutex and unmaps the area from every domain; releasing the last
// reference on the pages detaches from the dma-buf and destroys the pages
// content (the mutex with it).
#pragma once

#include "model/dmabuf/dma_buf.h"
#include "model/vfio/vfio_pci_core.h"
#include "sim/core/task.h"

namespace vfiosim::iommu {

// struct iopt_pages of a dma-buf backed area, with its dma_buf_attach_ops.
class IommufdPages : public dmabuf::DmaBufAttachOps {
 public:
  explicit IommufdPages(vfio::VfioObserver* obs) : obs_(obs) {}
  // The move_notify callback: under pages->mutex, unmap the area's domains. On
  // destroyed pages it is a use after free (f2d70dbd3dce).
  void MoveNotify(dmabuf::Attachment& att) override;
  // Guarded by the attachment: touched in steps that declare it.
  bool area_unmapped = false;  // iopt_unmap_iova() removed the area
  bool destroyed = false;      // the pages content is gone (mutex_destroy(), kfree)
  // The stateful search's view of the iopt_pages (identity, area, destroyed).
  void WriteState(sim::StateWriter& w) const;

 private:
  vfio::VfioObserver* obs_;
};

// vfio_pci_dma_buf_iommufd_map() maps a dma-buf of one physical range only:
// -EINVAL otherwise (checked before iommufd attaches), else 0.
int vfio_pci_dma_buf_iommufd_check(const dmabuf::DmaBuf& buf);

// IOMMU_IOAS_MAP of a dma-buf fd: iommufd is a dynamic importer, `pages` its
// attach ops: dma_buf_attach(), then dma_buf_map_attachment() under the resv
// lock. Returns 0 or -errno (the attachment stays on the dma-buf when the map
// fails).
sim::Task<int> iommufd_map_dma_buf(dmabuf::DmaBuf& buf, dmabuf::Attachment& att, IommufdPages& pages);

// IOMMU_IOAS_UNMAP of the area `att`/`pages` map: iopt_unmap_iova() (-ENOENT
// when the area is gone already), then the last reference on the pages,
// iopt_release_pages(): dma_buf_detach() and destroying the pages content, in
// the order of f2d70dbd3dce unless the iommufd-destroy-before-detach mutant
// reverses it. Returns dma_buf_detach()'s result.
sim::Task<int> iommufd_ioas_unmap(const vfio::VfioContext& ctx, dmabuf::Attachment& att, IommufdPages& pages);

}  // namespace vfiosim::iommu
