"""nibabel, imported without pydicom.

nibabel's nifti1 imports pydicom at import time (0.13 s of a cold start) only to decode NIfTI extensions of type
2 (DICOM), which this app never reads. With pydicom hidden while nibabel loads, such an extension is kept as opaque
bytes (nibabel's generic Nifti1Extension), so a broken one cannot stop a scan from loading either. pydicom itself
stays importable for DICOM images (nets/io/image_loader.py). Every module of the app imports nibabel from here."""
import sys


def _nibabel_without_pydicom():
    if "nibabel" in sys.modules:  # imported earlier by another library (e.g. nilearn): use it as it is
        import nibabel
        return nibabel
    loaded = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "pydicom" or k.startswith("pydicom.")}
    sys.modules["pydicom"] = None  # `import pydicom` raises ImportError; nibabel's optional_package expects that
    try:
        import nibabel
    finally:
        if sys.modules.get("pydicom", 0) is None:
            del sys.modules["pydicom"]
        sys.modules.update(loaded)
    return nibabel


nib = _nibabel_without_pydicom()
