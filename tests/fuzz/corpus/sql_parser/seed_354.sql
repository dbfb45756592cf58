select
    count(ts)
from
    t;