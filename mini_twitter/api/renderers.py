"""The API's JSON renderer: DRF's JSON, written by orjson (several times faster than the standard
library on a page of posts). Everything orjson does not write itself (times, dates, decimals, UUIDs,
lazy strings) goes through DRF's encoder, so the output is DRF's: times as ``...T12:34:56.789Z``,
integer keys as strings."""

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_encoder = JSONEncoder()


class JSONRenderer(ORJSONRenderer):
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME

    @staticmethod
    def default(obj):
        return _drf_encoder.default(obj)
