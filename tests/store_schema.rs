//! The schema against a real, throwaway PostgreSQL.

use miband::store::pgcluster::PgCluster;
use miband::store::schema;

#[tokio::test]
async fn migrate_creates_everything_and_is_idempotent() {
    let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
    pg.create_owner_db("miband", "miband", "s3cret")
        .await
        .unwrap();
    let mut c = pg.connect_superuser("miband").await.unwrap();
    assert_eq!(
        schema::migrate(&mut c).await.unwrap(),
        schema::latest_version()
    );
    // A second run finds nothing to do and changes nothing.
    assert_eq!(
        schema::migrate(&mut c).await.unwrap(),
        schema::latest_version()
    );
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='public' AND table_name = ANY($1)",
            &[&vec!["mibandrecord", "mibandstaticinfo", "activityrecord", "batteryinforecord", "steprecord", "heartraterecord"]],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 6);
    // Outage: stop and start again; a new connection works.
    pg.stop().unwrap();
    assert!(!pg.is_running());
    pg.start().unwrap();
    let c = pg.connect_superuser("miband").await.unwrap();
    c.simple_query("SELECT 1").await.unwrap();
}
