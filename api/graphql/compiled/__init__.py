"""Compiled documents: the GraphQL board answered without graphql-core's per-field execution.

Rules that always hold here:
- A plan answers byte for byte what the general execution answers, or it does not answer:
  anything it cannot reproduce exactly (an error of any kind, a value of an unexpected type,
  a filter it does not read its own way, a variable it cannot coerce) hands the request back
  to strawberry, which then answers it, errors and all (`Unanswerable`).
- A document is compiled only after the real schema parsed and validated it with every rule
  and limit (`documents.LearnDocuments` watches the general execution reach its execute step);
  what depends on the variables (NUL, coercion, the cost) is checked again on every request.
- The data come from the same service functions, scope and filters as the resolvers
  (`devices.page_rows`, `devices.component_rows`, `lookups.site_rows`, `lookups.part_rows`),
  and each value goes through the read model's own validation of its field and the GraphQL
  type's own output coercion (`leaves`), or through a shortcut that a test holds equal to them.
- Queries only, over HTTP POST; mutations, subscriptions and websockets never come here.
"""
