#include "model/iommu/iommufd.h"

#include "model/bugs.h"
#include "model/errno.h"
#include "sim/core/thread.h"

namespace vfiosim::iommu {

void IommufdPages::MoveNotify(dmabuf::Attachment& att) {
  att.Touch(false);
  if (destroyed && obs_)
    obs_->OnUseAfterFree("iopt_pages (its mutex, taken by the move_notify callback, destroyed before dma_buf_detach())");
}

void IommufdPages::WriteState(sim::StateWriter& w) const {
  w.Ref(static_cast<const dmabuf::DmaBufAttachOps*>(this));
  w.Bool(area_unmapped);
  w.Bool(destroyed);
}

int vfio_pci_dma_buf_iommufd_check(const dmabuf::DmaBuf& buf) {
  const auto* priv = static_cast<const vfio::VfioPciDmaBuf*>(buf.priv());
  return priv->phys_vec.size() != 1 ? -kEINVAL : 0;
}

sim::Task<int> iommufd_map_dma_buf(dmabuf::DmaBuf& buf, dmabuf::Attachment& att, IommufdPages& pages) {
  att.importer_callbacks = &pages;
  int r = co_await dmabuf::dma_buf_attach(buf, att, true);
  if (r == 0) r = co_await dmabuf::dma_buf_map_attachment(att);
  co_return r;
}

sim::Task<int> iommufd_ioas_unmap(const vfio::VfioContext& ctx, dmabuf::Attachment& att, IommufdPages& pages) {
  // iopt_unmap_iova(): the area leaves the IOAS and its domains (-ENOENT when
  // nothing is mapped there any more).
  co_await sim::Access(&att, true, "iopt_area");
  att.Touch(true);
  if (pages.area_unmapped) co_return -kENOENT;
  pages.area_unmapped = true;
  // The last reference on the pages: iopt_release_pages(). Since f2d70dbd3dce
  // "iommufd: Destroy the pages content after detaching from dmabuf" the
  // dma-buf is detached first, so no move_notify callback can reach the pages.
  auto destroy_pages = [&]() -> sim::Task<void> {
    sim::FuncScope d("iopt_release_pages");
    co_await sim::Access(&att, true, "iopt_pages");
    att.Touch(true);
    pages.destroyed = true;
  };
  if (ctx.bug(Bug::kIommufdDestroyBeforeDetach)) co_await destroy_pages();
  const int r = co_await dmabuf::dma_buf_detach(att);
  if (!ctx.bug(Bug::kIommufdDestroyBeforeDetach)) co_await destroy_pages();
  co_return r;
}

}  // namespace vfiosim::iommu
