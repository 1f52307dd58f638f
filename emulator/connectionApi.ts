/**
 * How GET and PUT /data/connection/{key} answer for a Lakebase connection. `full`: they serve it, as
 * this package's richer drift detection would like. `documented`: as Immuta documents them, "only
 * available to connections from the following technologies: Snowflake, Databricks Unity Catalog,
 * AWS Lake Formation", so they answer 404 (/data/object still serves it).
 */
export type ConnectionApi = "full" | "documented";
