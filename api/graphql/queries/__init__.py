"""The GraphQL `Query`, composed of one query type per capability (as NetBox composes its
DCIMQuery, IPAMQuery...): each capability's fields live beside each other."""

from strawberry.tools import merge_types

from api.graphql.queries.assets import AssetsQuery
from api.graphql.queries.lifecycle import LifecycleQuery
from api.graphql.queries.reach import ReachQuery
from api.graphql.queries.reporting import ReportingQuery
from api.graphql.queries.warehouse import WarehouseQuery

Query = merge_types(
    "Query", (AssetsQuery, WarehouseQuery, ReachQuery, LifecycleQuery, ReportingQuery)
)

__all__ = ["Query"]
