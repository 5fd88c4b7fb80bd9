-- The lease of a singular job (the outbox relay), next to its advisory
-- lock: each holder takes the next epoch, and its checkpoint moves only
-- while the epoch is still its own (ADR 0014). owner says who, for people.
CREATE TABLE leases (
    name     text PRIMARY KEY,
    epoch    bigint NOT NULL,
    owner    text NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
