//! "User N" is the id devices.csv gives, against a real throwaway PostgreSQL: whatever band syncs
//! first, a band already stored keeps its id, a taken id is a conflict, miband-dc's own inserts
//! (the sequence) never collide, and `--renumber` keeps history attached.

mod store_support;

use std::collections::HashMap;
use std::time::Duration;

use miband::store::band_id::{self, BandClaim, BandId, Outcome, RenumberError};
use miband::store::postgres::Store;
use miband::store::sink::{Sink, SinkOptions};
use store_support::*;

const ALICE: &str = "C8:0F:10:DE:00:01";
const BOB: &str = "C8:0F:10:DE:00:02";
const T: Duration = Duration::from_secs(10);

fn claim(mac: &str, id: &str) -> BandClaim {
    BandClaim {
        mac: mac.parse().unwrap(),
        wanted: BandId::from_csv_id(id),
    }
}

async fn ids(c: &tokio_postgres::Client) -> Vec<(i32, String)> {
    c.query("SELECT id, mac FROM mibandrecord ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// The demo's case: devices.csv says Alice 1, Bob 2, and Bob's history arrives first.
#[tokio::test]
async fn the_band_that_syncs_first_does_not_become_user_1() {
    let pg = cluster().await;
    let state = tempfile::tempdir().unwrap();
    let sink = Sink::open(socket_config(&pg), state.path(), SinkOptions::default()).unwrap();
    let names = HashMap::from([(ALICE.parse().unwrap(), "Alice".to_string())]);
    sink.set_claims(vec![claim(ALICE, "1"), claim(BOB, "2")], names)
        .await;
    sink.write(activity(BOB, 0, 10)).await.unwrap();
    assert_eq!(sink.band_id(ALICE.parse().unwrap()).await.unwrap(), Some(1));
    assert_eq!(sink.band_id(BOB.parse().unwrap()).await.unwrap(), Some(2));
    let c = pg.connect_superuser(DB).await.unwrap();
    assert_eq!(ids(&c).await, [(1, ALICE.into()), (2, BOB.into())]);
    let bob_minutes: i64 = c
        .query_one("SELECT count(*) FROM activityrecord WHERE dev_id = 2", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(bob_minutes, 10);
    let mapping = band_id::read_mapping(&c).await.unwrap();
    assert_eq!(mapping[0].line(), format!("User 1 = {ALICE}"));
}

#[tokio::test]
async fn stored_bands_keep_their_ids_conflicts_get_free_ones_and_the_sequence_follows() {
    let pg = cluster().await;
    let mut store = Store::connect(&socket_config(&pg), T).await.unwrap();
    let c = pg.connect_superuser(DB).await.unwrap();
    // As miband-dc left it: Bob got 1 by syncing first, a departed band had 2.
    c.batch_execute(&format!(
        "INSERT INTO mibandrecord (mac, ts_drift) VALUES ('{}', 0), ('AA:00:00:00:00:09', 0)",
        BOB.to_lowercase()
    ))
    .await
    .unwrap();
    let regs = store
        .register_bands(&[
            claim(ALICE, "1"),
            claim(BOB, "2"),
            claim("C8:0F:10:DE:00:03", "5"),
        ])
        .await
        .unwrap();
    let got: Vec<(i32, &Outcome)> = regs.iter().map(|r| (r.id.get(), &r.outcome)).collect();
    assert_eq!(
        got,
        [
            (
                6,
                &Outcome::Conflict {
                    holder: BOB.to_lowercase()
                }
            ),
            (1, &Outcome::Kept),
            (5, &Outcome::AsWanted),
        ]
    );
    assert!(regs[0].warning().unwrap().contains(&BOB.to_lowercase()));
    assert!(regs[1].warning().unwrap().contains("User 1"));
    assert_eq!(regs[2].warning(), None);
    // Registering again changes nothing.
    let again = store
        .register_bands(&[claim(ALICE, "1"), claim(BOB, "2")])
        .await
        .unwrap();
    assert_eq!(again[0].id.get(), 6);
    assert_eq!(again[0].outcome, Outcome::Kept);
    // miband-dc's own insert takes the next sequence value: no collision with 5 or 6.
    let next: i32 = c
        .query_one(
            "INSERT INTO mibandrecord (mac, ts_drift) VALUES ('AA:00:00:00:00:0A', 0) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(next, 7);
}

#[tokio::test]
async fn renumbering_moves_the_history_with_the_band() {
    let pg = cluster().await;
    let mut store = Store::connect(&socket_config(&pg), T).await.unwrap();
    let bob = store.band_id(BOB.parse().unwrap()).await.unwrap();
    let alice = store.band_id(ALICE.parse().unwrap()).await.unwrap();
    assert_eq!((bob, alice), (1, 2));
    store.set_band_name(alice, Some("Alice")).await.unwrap();
    store.ingest_activity(alice, &minutes(0, 30)).await.unwrap();
    for r in readings(ALICE, 3) {
        store.apply(alice, &r.record).await.unwrap();
    }
    let mut c = pg.connect_superuser(DB).await.unwrap();
    let b = |n| BandId::new(n).unwrap();
    assert!(matches!(
        band_id::renumber(&mut c, b(2), b(1)).await,
        Err(RenumberError::Taken { .. })
    ));
    assert!(matches!(
        band_id::renumber(&mut c, b(9), b(10)).await,
        Err(RenumberError::NoSuchBand(_))
    ));
    // The swap: Bob out of the way, Alice to 1, Bob to 2.
    band_id::renumber(&mut c, b(1), b(3)).await.unwrap();
    band_id::renumber(&mut c, b(2), b(1)).await.unwrap();
    band_id::renumber(&mut c, b(3), b(2)).await.unwrap();
    assert_eq!(ids(&c).await, [(1, ALICE.into()), (2, BOB.into())]);
    for (table, n) in [
        ("activityrecord", 30i64),
        ("batteryinforecord", 1),
        ("steprecord", 1),
        ("heartraterecord", 1),
        ("mibandstaticinfo", 1),
    ] {
        let got: i64 = c
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE dev_id = 1"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(got, n, "{table}");
    }
    let row = c
        .query_one(
            "SELECT name, last_activity_ts IS NOT NULL FROM mibandrecord WHERE id = 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("Alice"));
    assert!(row.get::<_, bool>(1));
}
