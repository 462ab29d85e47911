"""Writers: apply a report to a file (``xlsx``, then the splice in ``package``) or to
live Excel (``excel``)."""
