from common_core.models.error_models import ErrorDetail

__all__ = ["ErrorDetail"]
