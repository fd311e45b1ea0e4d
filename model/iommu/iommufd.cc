#include "model/iommu/iommufd.h"

namespace vfiosim::iommu {

void IommufdPages::MoveNotify(dmabuf::Attachment& att) {
  att.Touch(false);
  if (destroyed && obs_)
    obs_->OnUseAfterFree("iopt_pages (its mutex, taken by the move_notify callback, destroyed before dma_buf_detach())");
}

}  // namespace vfiosim::iommu
