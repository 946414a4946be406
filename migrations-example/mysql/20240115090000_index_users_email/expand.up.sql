-- users is large by now: build the index online, without blocking writes.
ALTER TABLE users ADD UNIQUE INDEX users_email_key (email), ALGORITHM=INPLACE, LOCK=NONE;
