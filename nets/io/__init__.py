"""Readers that validate before allocating: NIfTI volumes and 2D images (JPEG, PNG, TIFF, BMP, WebP, DICOM)."""
