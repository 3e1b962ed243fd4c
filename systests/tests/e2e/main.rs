//! End-to-end tests against real NATS, Redis and PostgreSQL: gateways, workers and SDK
//! clients in one process, each test isolated by its own prefix and database.

mod auth;
mod closed_room;
mod commands;
mod drain;
mod forged_frames;
mod frontier;
mod frontier_gateways;
mod frontier_return;
mod frontier_timeline;
mod hostile_http;
mod leaderboard;
mod lifecycle;
mod malformed;
mod matchmaking;
mod ownership;
mod play;
mod pool;
mod private_rooms;
mod processes;
mod quotas;
mod resume;
mod session_commands;
mod sleeping;
mod sleeping_failover;
mod sleeping_worker_lease;
mod slow_database;
mod spectators;
mod timeline_http;
mod timing;
mod views;
mod vouching;
