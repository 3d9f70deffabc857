import DICOM

/// Swift Testing also exports a `Tag` (test tags); in this module `Tag` is the DICOM one.
typealias Tag = DICOM.Tag
