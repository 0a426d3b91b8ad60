"""SalesOps Board (销售运营看板): a sales-operations board and CRM performance dashboard.

Data flows one way::

    files / API -> ingest -> db -> metrics -> analysis / targets / alerts / reports
                                                    -> api / web / cli
"""

__version__ = "0.1.0"
