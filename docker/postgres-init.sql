-- One PostgreSQL server, one database per service (each service owns its own data).
CREATE DATABASE gateway;
CREATE DATABASE moderation;
CREATE DATABASE notifier;
