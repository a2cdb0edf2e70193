TRUNCATE orders_854;

