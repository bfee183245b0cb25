"""Typed, user-facing input errors. `str(err)` is a message a person can act on; no traceback needed."""

# how to answer a refused input anyway, in every entry point (the gates' refusal messages end with it)
OVERRIDE_HINT = "(page: 'analyse anyway'; CLI --force; API force=true)"


class InputError(ValueError):
    """Base class: the input cannot be analysed. `code` is stable for tests, APIs and logs."""
    code = "invalid_input"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self):
        return {"error": self.code, "message": self.message}


class EmptyFileError(InputError):
    code = "empty_file"


class UnreadableFileError(InputError):
    code = "unreadable_file"


class FileTooLargeError(InputError):
    code = "file_too_large"


class UnsupportedFormatError(InputError):
    code = "unsupported_format"


class CorruptFileError(InputError):
    code = "corrupt_file"


class WrongDimensionsError(InputError):
    code = "wrong_dimensions"


class TooManyVoxelsError(InputError):
    code = "too_many_voxels"


class InvalidVoxelSizeError(InputError):
    code = "invalid_voxel_size"


class NonFiniteValuesError(InputError):
    code = "non_finite_values"


class DecompressionBombError(InputError):
    code = "decompression_bomb"


class InvalidAgeError(InputError):
    code = "invalid_age"


class NotABrainError(InputError):
    code = "not_a_brain"


class ModelUnavailableError(InputError):
    code = "model_unavailable"


class OutOfDistributionError(InputError):
    """The input gate refused the input: it does not look like what the model was trained on. Overridable with
    force (CLI --force, API force=true, the page's button); the forced answer carries a warning."""
    code = "out_of_distribution"

    def __init__(self, message: str, task: str = "", gate: dict | None = None):
        super().__init__(message)
        self.task, self.gate = task, gate or {}

    def to_dict(self):
        return {**super().to_dict(), "task": self.task, "can_force": True, "gate": self.gate}


class NotAChestXrayError(OutOfDistributionError):
    code = "not_a_chest_xray"


class NotDermoscopyError(OutOfDistributionError):
    code = "not_dermoscopy"


class NotAT1BrainError(OutOfDistributionError):
    code = "not_a_t1_brain"
