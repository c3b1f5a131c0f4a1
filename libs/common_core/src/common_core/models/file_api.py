"""Bodies of the file service's internal content API (/internal/v1/content/<storage_id>)."""

from common_core.domain_enums import ContentType
from common_core.field_types import Md5Hex, NonNegativeInt, StorageId
from common_core.models.base import ApiModel


class EssayContentResponse(ApiModel):
    storage_id: StorageId
    content_type: ContentType
    text: str
    char_count: NonNegativeInt
    md5: Md5Hex
