DROP TABLE checkpoints;
DROP TABLE events;
