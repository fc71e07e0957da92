"""The shared store on PostgreSQL (psycopg 3): connections, dialect, schema and upkeep."""
