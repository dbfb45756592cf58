-- Test insert with long string constant
CREATE TABLE IF NOT EXISTS presentations (
    presentation_date TIMESTAMP,
    author VARCHAR NOT NULL,
    title STRING NOT NULL,
    bio VARCHAR,
    abstract VARCHAR,
    zoom_link VARCHAR,
    TIME INDEX(presentation_date)
);