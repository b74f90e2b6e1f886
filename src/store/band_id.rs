//! "User N": the number of a band in the database (`mibandrecord.id`), which dashboards (title,
//! UID), the mirror (`user: N`), the metrics `id` label and the API all show.
//!
//! ARCO's miband-dc ignored the id column of devices.csv and let the database number bands in
//! the order they first synced, so "User 1" could be anybody. The rule here, in this one place
//! (the collector, `--check`, and the Gadgetbridge import all register bands through
//! [`register_bands`]):
//!
//! 1. A band already in the database keeps its id, whatever devices.csv says: mirrors and
//!    dashboards configured for it keep working. A disagreement is reported (see
//!    [`Registration::warning`]) with the way to renumber.
//! 2. A band new to the database gets the id devices.csv gives it when that id is free.
//! 3. Otherwise (the id is taken by another MAC, or devices.csv gives no number) it gets a free
//!    id: one above every id in use or asked for, so it never takes a number that another band
//!    of the same devices.csv is waiting for, nor reuses the number of a band that was deleted.
//!
//! Claims are handled in the order given (devices.csv order), so the first of two lines asking
//! for the same id gets it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use tokio_postgres::Client;

use super::error::StoreError;
use crate::mac::Mac;

/// A band's database id, the "User N" of dashboards, mirror, metrics and API. Always positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BandId(i32);

impl BandId {
    /// `n` if it is a usable id (1 or more).
    pub fn new(n: i32) -> Option<BandId> {
        (n > 0).then_some(BandId(n))
    }

    /// The id devices.csv asks for: its id column when that is a plain positive number
    /// (`1`, `02`), else none (ids such as `alice` are labels, not numbers).
    pub fn from_csv_id(text: &str) -> Option<BandId> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<i32>().ok().and_then(BandId::new)
    }

    /// The number, as stored in `mibandrecord.id` and `dev_id`.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for BandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A band to register: its MAC and the id devices.csv asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandClaim {
    /// Bluetooth address (matched ignoring the case of stored rows; a new band is stored as
    /// [`Mac`] displays it).
    pub mac: Mac,
    /// The id wanted, if devices.csv gives a number.
    pub wanted: Option<BandId>,
}

/// How a band came by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It was already in the database under this id and keeps it.
    Kept,
    /// New, and got the id it asked for.
    AsWanted,
    /// New; the id it asked for belongs to `holder` (another MAC), so it got a free one.
    Conflict {
        /// The MAC holding the wanted id.
        holder: String,
    },
    /// New, asked for no number, got a free one.
    Free,
}

/// The id a band has, and how it got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The MAC as claimed.
    pub mac: Mac,
    /// The id devices.csv asked for.
    pub wanted: Option<BandId>,
    /// The id it has in the database.
    pub id: BandId,
    /// How.
    pub outcome: Outcome,
}

/// How to give a band another number without losing its history (README, "Renumbering").
pub const RENUMBER_HINT: &str =
    "to renumber, stop the collector and run `miband-dc --renumber OLD:NEW` (history stays attached)";

impl Registration {
    /// Does the database id differ from the one devices.csv asks for?
    pub fn disagrees(&self) -> bool {
        self.wanted.is_some_and(|w| w != self.id)
    }

    /// A warning for a person when the ids disagree, naming both bands where there are two.
    pub fn warning(&self) -> Option<String> {
        let wanted = self.wanted.filter(|_| self.disagrees())?;
        Some(match &self.outcome {
            Outcome::Conflict { holder } => format!(
                "band {}: devices.csv asks for User {wanted}, but User {wanted} is band {holder} in the database; it is User {} instead ({RENUMBER_HINT})",
                self.mac, self.id
            ),
            _ => format!(
                "band {}: devices.csv asks for User {wanted}, but the database has it as User {} (kept so existing dashboards and mirrors stay right; {RENUMBER_HINT})",
                self.mac, self.id
            ),
        })
    }
}

/// The rule, without the database: `existing` is every `(id, mac)` of `mibandrecord`.
pub fn plan(existing: &[(i32, String)], claims: &[BandClaim]) -> Vec<Registration> {
    let key = |mac: &str| mac.to_ascii_uppercase();
    // The lowest id wins for a MAC stored twice in different case (miband-dc kept the case).
    let mut by_mac: BTreeMap<String, i32> = BTreeMap::new();
    let mut holder: BTreeMap<i32, String> = BTreeMap::new();
    for (id, mac) in existing {
        let e = by_mac.entry(key(mac)).or_insert(*id);
        *e = (*e).min(*id);
        holder.insert(*id, mac.clone());
    }
    let asked: BTreeSet<i32> = claims
        .iter()
        .filter_map(|c| c.wanted)
        .map(|w| w.0)
        .collect();
    let mut next_free = holder
        .keys()
        .chain(asked.iter())
        .max()
        .copied()
        .unwrap_or(0)
        + 1;
    let mut out: Vec<Registration> = Vec::with_capacity(claims.len());
    for c in claims {
        let done = out.iter().find(|r| r.mac == c.mac);
        if let Some(r) = done {
            out.push(Registration {
                mac: c.mac,
                wanted: c.wanted,
                ..r.clone()
            });
            continue;
        }
        let (id, outcome) = if let Some(&id) = by_mac.get(&c.mac.to_string()) {
            (id, Outcome::Kept)
        } else {
            match c.wanted {
                Some(w) if !holder.contains_key(&w.0) => (w.0, Outcome::AsWanted),
                Some(w) => {
                    let id = next_free;
                    next_free += 1;
                    (
                        id,
                        Outcome::Conflict {
                            holder: holder[&w.0].clone(),
                        },
                    )
                }
                None => {
                    let id = next_free;
                    next_free += 1;
                    (id, Outcome::Free)
                }
            }
        };
        holder.entry(id).or_insert_with(|| c.mac.to_string());
        by_mac.entry(c.mac.to_string()).or_insert(id);
        out.push(Registration {
            mac: c.mac,
            wanted: c.wanted,
            id: BandId(id),
            outcome,
        });
    }
    out
}

/// Registers `claims` (devices.csv order) by the rule of this module, in one transaction that
/// locks `mibandrecord` against a concurrent registration, and moves the id sequence past
/// every id so miband-dc (which lets the sequence pick) can never collide with one chosen here.
pub async fn register_bands(
    client: &mut Client,
    claims: &[BandClaim],
) -> Result<Vec<Registration>, StoreError> {
    let q = StoreError::from_query;
    let tx = client.transaction().await.map_err(q)?;
    // SHARE ROW EXCLUSIVE conflicts with itself and with writers, not with readers.
    tx.batch_execute("LOCK TABLE mibandrecord IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(q)?;
    let existing: Vec<(i32, String)> = tx
        .query("SELECT id, mac FROM mibandrecord ORDER BY id", &[])
        .await
        .map_err(q)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let plan = plan(&existing, claims);
    let mut added = false;
    for r in plan.iter().filter(|r| r.outcome != Outcome::Kept) {
        // ts_drift is named because miband-dc's DDL gave it no server default.
        let n = tx
            .execute(
                "INSERT INTO mibandrecord (id, mac, ts_drift) VALUES ($1, $2, 0) \
                 ON CONFLICT DO NOTHING",
                &[&r.id.0, &r.mac.to_string()],
            )
            .await
            .map_err(q)?;
        added |= n == 1;
    }
    if added {
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('mibandrecord', 'id'), \
             (SELECT max(id) FROM mibandrecord))",
            &[],
        )
        .await
        .map_err(q)?;
    }
    tx.commit().await.map_err(q)?;
    Ok(plan)
}

/// Why `--renumber` refused.
#[derive(Debug, thiserror::Error)]
pub enum RenumberError {
    /// No band has the old id.
    #[error("no band is User {0}")]
    NoSuchBand(BandId),
    /// The new id belongs to another band; move that one first (to a free id).
    #[error("User {id} is already band {mac}; renumber that band to a free id first")]
    Taken {
        /// The id asked for.
        id: BandId,
        /// The band that has it.
        mac: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Gives band `from` the id `to`, with all its history: every row of every table whose foreign
/// key points at `mibandrecord` (found in the catalogue, so tables added later move too) follows,
/// in one transaction. `to` must be free. Stop the collector first: it caches ids.
pub async fn renumber(client: &mut Client, from: BandId, to: BandId) -> Result<(), RenumberError> {
    let q = StoreError::from_query;
    let tx = client.transaction().await.map_err(q)?;
    tx.batch_execute("LOCK TABLE mibandrecord IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(q)?;
    let mac_of = |id: BandId| {
        let tx = &tx;
        async move {
            tx.query_opt("SELECT mac FROM mibandrecord WHERE id = $1", &[&id.0])
                .await
                .map(|r| r.map(|r| r.get::<_, String>(0)))
                .map_err(q)
        }
    };
    let Some(mac) = mac_of(from).await? else {
        return Err(RenumberError::NoSuchBand(from));
    };
    if from == to {
        return Ok(());
    }
    if let Some(holder) = mac_of(to).await? {
        return Err(RenumberError::Taken {
            id: to,
            mac: holder,
        });
    }
    // The new row is a copy of the old (every column, whatever migrations added); the MAC is
    // unique, so the old row's is parked until the old row goes.
    tx.batch_execute(
        "CREATE TEMP TABLE miband_renumber ON COMMIT DROP AS SELECT * FROM mibandrecord WITH NO DATA",
    )
    .await
    .map_err(q)?;
    tx.execute(
        "INSERT INTO miband_renumber SELECT * FROM mibandrecord WHERE id = $1",
        &[&from.0],
    )
    .await
    .map_err(q)?;
    tx.execute("UPDATE miband_renumber SET id = $1", &[&to.0])
        .await
        .map_err(q)?;
    tx.execute(
        "UPDATE mibandrecord SET mac = left('renumbering ' || mac, 255) WHERE id = $1",
        &[&from.0],
    )
    .await
    .map_err(q)?;
    tx.execute(
        "INSERT INTO mibandrecord SELECT * FROM miband_renumber",
        &[],
    )
    .await
    .map_err(q)?;
    let refs = tx
        .query(
            "SELECT c.conrelid::regclass::text, a.attname::text
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.confrelid = 'mibandrecord'::regclass",
            &[],
        )
        .await
        .map_err(q)?;
    for r in &refs {
        let (table, column): (String, String) = (r.get(0), r.get(1));
        let column = format!("\"{}\"", column.replace('"', "\"\""));
        tx.execute(
            &format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2"),
            &[&to.0, &from.0],
        )
        .await
        .map_err(q)?;
    }
    tx.execute("DELETE FROM mibandrecord WHERE id = $1", &[&from.0])
        .await
        .map_err(q)?;
    tx.execute(
        "SELECT setval(pg_get_serial_sequence('mibandrecord', 'id'), \
         (SELECT max(id) FROM mibandrecord))",
        &[],
    )
    .await
    .map_err(q)?;
    tx.commit().await.map_err(q)?;
    tracing::info!(band = %mac, "User {from} is now User {to}");
    Ok(())
}

/// One band as every front end shows it: "User N", its MAC, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedBand {
    /// User N.
    pub id: BandId,
    /// MAC as stored.
    pub mac: String,
    /// Display name (devices.csv's, else the name the band reports), if any.
    pub name: Option<String>,
}

impl MappedBand {
    /// `User 1 = C8:0F:10:DE:00:01 (Alice)`: the line `--check`, the start-up log and
    /// `miband-grafana -s` print.
    pub fn line(&self) -> String {
        match &self.name {
            Some(n) => format!("User {} = {} ({n})", self.id, self.mac),
            None => format!("User {} = {}", self.id, self.mac),
        }
    }
}

/// The User N ↔ MAC ↔ name mapping of a database, ordered by id: what the API, `--check` and
/// `miband-grafana` read. Works on a database miband-dc made (no `name` column yet) and with a
/// read-only role.
pub async fn read_mapping(client: &Client) -> Result<Vec<MappedBand>, tokio_postgres::Error> {
    let has_name: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_name = 'mibandrecord' AND column_name = 'name'
               AND table_schema = current_schema())",
            &[],
        )
        .await?
        .get(0);
    let name = if has_name {
        "COALESCE(NULLIF(r.name, ''), NULLIF(s.name, ''))"
    } else {
        "NULLIF(s.name, '')"
    };
    let rows = client
        .query(
            &format!(
                "SELECT r.id, r.mac, {name}
                 FROM mibandrecord r
                 LEFT JOIN LATERAL (
                   SELECT name FROM mibandstaticinfo WHERE dev_id = r.id ORDER BY id DESC LIMIT 1
                 ) s ON true
                 ORDER BY r.id"
            ),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(MappedBand {
                id: BandId::new(r.get(0))?,
                mac: r.get(1),
                name: r.get(2),
            })
        })
        .collect())
}

/// Where devices.csv and the database disagree: for each configured band `(mac, csv id)`, a
/// warning when the database knows it under another number. Bands not yet in the database are
/// not a disagreement (they will get their id at first sync, if it is free).
pub fn disagreements(devices: &[(Mac, String)], mapping: &[MappedBand]) -> Vec<String> {
    let claims: Vec<BandClaim> = devices
        .iter()
        .map(|(mac, id)| BandClaim {
            mac: *mac,
            wanted: BandId::from_csv_id(id),
        })
        .collect();
    let existing: Vec<(i32, String)> = mapping.iter().map(|b| (b.id.0, b.mac.clone())).collect();
    plan(&existing, &claims)
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::Kept | Outcome::Conflict { .. } => r.warning(),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MAC from its first group, in the case given: `m("aa")` is `aa:00:00:00:00:00`.
    fn m(first: &str) -> String {
        format!("{first}:00:00:00:00:00")
    }

    fn claim(first: &str, wanted: Option<i32>) -> BandClaim {
        BandClaim {
            mac: m(first).parse().unwrap(),
            wanted: wanted.and_then(BandId::new),
        }
    }

    fn ids(p: &[Registration]) -> Vec<i32> {
        p.iter().map(|r| r.id.get()).collect()
    }

    #[test]
    fn csv_ids_parse_only_as_positive_numbers() {
        assert_eq!(BandId::from_csv_id("1"), BandId::new(1));
        assert_eq!(BandId::from_csv_id(" 02 "), BandId::new(2));
        for bad in ["0", "-1", "+1", "alice", "sim3", "", "99999999999"] {
            assert_eq!(BandId::from_csv_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_bands_get_their_csv_ids_whatever_order_they_come_in() {
        // Bob first, as in the demo where Bob synced first.
        let p = plan(&[], &[claim("BB", Some(2)), claim("AA", Some(1))]);
        assert_eq!(ids(&p), [2, 1]);
        assert!(p.iter().all(|r| r.outcome == Outcome::AsWanted));
        assert!(p.iter().all(|r| r.warning().is_none()));
    }

    #[test]
    fn a_band_in_the_database_keeps_its_id_and_is_reported() {
        let existing = [(1, m("bb")), (3, m("AA"))];
        let p = plan(&existing, &[claim("AA", Some(1)), claim("BB", Some(2))]);
        assert_eq!(ids(&p), [3, 1]);
        assert!(p.iter().all(|r| r.outcome == Outcome::Kept));
        let w = p[0].warning().unwrap();
        assert!(w.contains("asks for User 1") && w.contains("User 3"), "{w}");
        assert!(w.contains("--renumber"), "{w}");
    }

    #[test]
    fn a_taken_id_is_a_conflict_naming_both_and_the_band_gets_a_free_one() {
        let existing = [(1, m("CC"))];
        // 5 is asked for by a later line, so the free id skips it.
        let p = plan(
            &existing,
            &[
                claim("AA", Some(1)),
                claim("DD", Some(5)),
                claim("EE", None),
            ],
        );
        assert_eq!(ids(&p), [6, 5, 7]);
        assert_eq!(p[0].outcome, Outcome::Conflict { holder: m("CC") });
        let w = p[0].warning().unwrap();
        assert!(w.contains("band AA") && w.contains("band CC"), "{w}");
        assert_eq!(p[2].outcome, Outcome::Free);
        assert_eq!(p[2].warning(), None);
    }

    #[test]
    fn two_lines_asking_for_one_id_the_first_wins() {
        let p = plan(&[], &[claim("AA", Some(1)), claim("BB", Some(1))]);
        assert_eq!(ids(&p), [1, 2]);
        assert_eq!(p[1].outcome, Outcome::Conflict { holder: m("AA") });
    }

    #[test]
    fn the_same_mac_twice_or_in_another_case_is_one_band() {
        let p = plan(
            &[(4, m("aa"))],
            &[claim("AA", Some(4)), claim("Aa", Some(4))],
        );
        assert_eq!(ids(&p), [4, 4]);
        assert!(p.iter().all(|r| r.warning().is_none()));
    }

    #[test]
    fn disagreements_ignore_bands_not_yet_stored() {
        let mapping = [MappedBand {
            id: BandId(3),
            mac: "aa:00:00:00:00:01".into(),
            name: Some("Alice".into()),
        }];
        let devices = [
            ("AA:00:00:00:00:01".parse().unwrap(), "1".to_string()),
            ("BB:00:00:00:00:02".parse().unwrap(), "2".to_string()),
        ];
        let w = disagreements(&devices, &mapping);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("band AA:00:00:00:00:01"), "{w:?}");
        assert_eq!(mapping[0].line(), "User 3 = aa:00:00:00:00:01 (Alice)");
    }
}
