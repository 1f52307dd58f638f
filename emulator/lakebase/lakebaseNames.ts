/** The role that carries Lakebase's admin privileges. */
export const DATABRICKS_SUPERUSER = "databricks_superuser";
