//! postgres (sync) against sqlx (async, driven by block_on per call, as a sync port needs), on
//! the PostgreSQL store's registry: COPY of 21.4 million voters in 8,000-byte chunks, 1,000
//! chunk lookups, 10,000 reads of a version row, and streaming every chunk back.
use std::time::Instant;

use futures_util::TryStreamExt as _;
use postgres::fallible_iterator::FallibleIterator as _;
use sqlx::{Connection as _, Row as _};

const VOTERS: u64 = 21_400_000;
const PER_CHUNK: u64 = 1_000;

fn chunk(index: u64) -> (i64, Vec<u8>) {
    let first = index * PER_CHUNK;
    let bytes = (first..(first + PER_CHUNK).min(VOTERS))
        .flat_map(|i| (((5_000_000 + i * 3) << 32) | (i % 30_000 + 1)).to_le_bytes())
        .collect();
    (i64::try_from(5_000_000 + first * 3).unwrap(), bytes)
}

fn chunks() -> u64 {
    VOTERS.div_ceil(PER_CHUNK)
}

fn lookup_ids() -> Vec<i64> {
    (0..1_000u64)
        .map(|i| i64::try_from(5_000_000 + i * 21_400 * 3 + 7).unwrap())
        .collect()
}

const SETUP: &str = "
    DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS data_version;
    CREATE TABLE chunks (generation bigint NOT NULL, first_id bigint NOT NULL, voters bigint NOT NULL,
        entries bytea NOT NULL, PRIMARY KEY (generation, first_id));
    ALTER TABLE chunks ALTER COLUMN entries SET STORAGE PLAIN;
    CREATE TABLE data_version (id integer PRIMARY KEY, version bigint NOT NULL);
    INSERT INTO data_version VALUES (1, 0);";
const LOOKUP: &str = "SELECT entries FROM chunks WHERE generation = 1 AND first_id <= $1 ORDER BY first_id DESC LIMIT 1";

fn report(driver: &str, what: &str, started: Instant) {
    println!("{driver}: {what}: {:.3} s", started.elapsed().as_secs_f64());
}

fn with_postgres(url: &str) {
    use postgres::types::{ToSql, Type};
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(SETUP).unwrap();
    let started = Instant::now();
    let mut transaction = client.transaction().unwrap();
    let sink = transaction
        .copy_in("COPY chunks (generation, first_id, voters, entries) FROM STDIN BINARY")
        .unwrap();
    let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(
        sink,
        &[Type::INT8, Type::INT8, Type::INT8, Type::BYTEA],
    );
    for index in 0..chunks() {
        let (first, bytes) = chunk(index);
        let voters = i64::try_from(bytes.len() / 8).unwrap();
        let row: [&(dyn ToSql + Sync); 4] = [&1i64, &first, &voters, &bytes];
        writer.write(&row).unwrap();
    }
    writer.finish().unwrap();
    transaction.commit().unwrap();
    report("postgres", "COPY 21.4 million voters", started);
    let statement = client.prepare(LOOKUP).unwrap();
    let started = Instant::now();
    for id in lookup_ids() {
        let rows = client.query(&statement, &[&id]).unwrap();
        assert_eq!(rows[0].get::<_, &[u8]>(0).len(), 8_000);
    }
    report("postgres", "1,000 lookups", started);
    let statement = client
        .prepare("SELECT version FROM data_version WHERE id = 1")
        .unwrap();
    let started = Instant::now();
    for _ in 0..10_000 {
        let rows = client.query(&statement, &[]).unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 0);
    }
    report("postgres", "10,000 version reads", started);
    let started = Instant::now();
    let no: [&(dyn ToSql + Sync); 0] = [];
    let mut rows = client
        .query_raw("SELECT entries FROM chunks ORDER BY first_id", no)
        .unwrap();
    let mut total = 0usize;
    while let Some(row) = rows.next().unwrap() {
        total += row.get::<_, &[u8]>(0).len();
    }
    assert_eq!(total, 8 * 21_400_000);
    report("postgres", "stream every chunk", started);
}

fn with_sqlx(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut connection = runtime.block_on(sqlx::PgConnection::connect(url)).unwrap();
    runtime
        .block_on(sqlx::raw_sql(SETUP).execute(&mut connection))
        .unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        let mut transaction = connection.begin().await.unwrap();
        let mut copy = transaction
            .copy_in_raw("COPY chunks (generation, first_id, voters, entries) FROM STDIN BINARY")
            .await
            .unwrap();
        // PostgreSQL's binary COPY format by hand: sqlx has no encoder for it.
        let mut buffer = Vec::with_capacity(1 << 20);
        buffer.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buffer.extend_from_slice(&0i32.to_be_bytes());
        buffer.extend_from_slice(&0i32.to_be_bytes());
        for index in 0..chunks() {
            let (first, bytes) = chunk(index);
            let voters = i64::try_from(bytes.len() / 8).unwrap();
            buffer.extend_from_slice(&4i16.to_be_bytes());
            for value in [1i64, first, voters] {
                buffer.extend_from_slice(&8i32.to_be_bytes());
                buffer.extend_from_slice(&value.to_be_bytes());
            }
            buffer.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
            buffer.extend_from_slice(&bytes);
            if buffer.len() > (1 << 20) {
                copy.send(std::mem::take(&mut buffer)).await.unwrap();
            }
        }
        buffer.extend_from_slice(&(-1i16).to_be_bytes());
        copy.send(buffer).await.unwrap();
        copy.finish().await.unwrap();
        transaction.commit().await.unwrap();
    });
    report("sqlx", "COPY 21.4 million voters", started);
    let started = Instant::now();
    for id in lookup_ids() {
        // sqlx caches the prepared statement per connection.
        let row = runtime
            .block_on(sqlx::query(LOOKUP).bind(id).fetch_one(&mut connection))
            .unwrap();
        assert_eq!(row.get::<&[u8], _>(0).len(), 8_000);
    }
    report("sqlx", "1,000 lookups", started);
    let started = Instant::now();
    for _ in 0..10_000 {
        let row = runtime
            .block_on(
                sqlx::query("SELECT version FROM data_version WHERE id = 1")
                    .fetch_one(&mut connection),
            )
            .unwrap();
        assert_eq!(row.get::<i64, _>(0), 0);
    }
    report("sqlx", "10,000 version reads", started);
    let started = Instant::now();
    let total = runtime.block_on(async {
        let mut rows =
            sqlx::query("SELECT entries FROM chunks ORDER BY first_id").fetch(&mut connection);
        let mut total = 0usize;
        while let Some(row) = rows.try_next().await.unwrap() {
            total += row.get::<&[u8], _>(0).len();
        }
        total
    });
    assert_eq!(total, 8 * 21_400_000);
    report("sqlx", "stream every chunk", started);
}

fn main() {
    let url = std::env::args().nth(1).expect("a postgres URL");
    for round in 0..2 {
        println!("round {round}");
        with_postgres(&url);
        with_sqlx(&url);
    }
}
