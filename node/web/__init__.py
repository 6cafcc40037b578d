"""Server-rendered pages for people.

Paths take row ids as `{name:id}`, never `{name:int}`: Starlette's `int` matches any number
of digits, and a number beyond 64 bits overflowed in SQL (a 500). Ids are made by
`content.orm.new_id` and have 18 digits until the year 2446, so a longer one is no page.
"""

from starlette.convertors import IntegerConvertor, register_url_convertor


class IdConvertor(IntegerConvertor):
    """A row id in a path: at most 18 digits, so always below 2**63."""

    regex = "[0-9]{1,18}"


register_url_convertor("id", IdConvertor())
