/** The database a Lakebase instance serves, and the role that carries Lakebase's admin privileges. */
export const LAKEBASE_DATABASE = "databricks_postgres";
export const DATABRICKS_SUPERUSER = "databricks_superuser";
