"""Entry point of the Refresh button in marketing_tracker.xlsm.

Written by `kpisheets new`. Excel's Refresh button runs xlwings' quickstart macro
SampleCall, which imports the module named like the workbook (this file; keep
it in the same folder) and calls main().

The button's VBA code comes from xlwings (https://www.xlwings.org),
Copyright (C) 2014-present, Zoomer Analytics LLC, BSD 3-clause licence.
"""


def main() -> None:
    """Refresh the workbook that called this (the Refresh button).

    kpisheets.xl.main() refreshes the calling workbook and reports a problem that
    stops it in a message box (kpisheets.xl.refresh() is the same without the box).
    """
    import kpisheets.xl  # imported here so this module imports without Excel

    kpisheets.xl.main()


def import_sources() -> None:
    """What the Import button does: import the Sources sheet's feeds, then refresh."""
    import kpisheets.xl

    kpisheets.xl.import_main()


if __name__ == "__main__":
    # Run from an editor while the workbook is open in Excel, as xlwings suggests.
    import xlwings as xw

    xw.Book("marketing_tracker.xlsm").set_mock_caller()
    main()
