// iommufd as an importer of a VFIO dma-buf (drivers/iommu/iommufd/pages.c): an
// IOAS area whose iopt_pages come from the dma-buf. Its move_notify callback
// takes pages->mutex and unmaps the area from every domain; releasing the last
// reference on the pages detaches from the dma-buf and destroys the pages
// content (the mutex with it).
#pragma once

#include "model/dmabuf/dma_buf.h"
#include "model/vfio/vfio_pci_core.h"

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

 private:
  vfio::VfioObserver* obs_;
};

}  // namespace vfiosim::iommu
