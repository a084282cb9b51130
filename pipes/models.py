"""No Django models: the built-in host's catalogue is the deployed Tinybird datafiles
(``pipes.catalogue``) and its data lives in ClickHouse. The app keeps its migrations, the last of
which exported and removed the models of the retired SQLite/PostgreSQL engine."""
