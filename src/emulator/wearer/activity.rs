//! What the simulated wearer is doing in a given minute.
//!
//! This is the world's truth; the band only sees it through the raw kind byte, intensity, steps and
//! heart rate it stores (docs/protocol.md §4.2). Keeping the truth separate lets tests check that
//! the bytes tell the same story.

/// The wearer's state for one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Activity {
    /// Deep (slow-wave) sleep.
    DeepSleep,
    /// Light sleep.
    LightSleep,
    /// REM sleep; Mi Band 4/5 history has no REM kind, so the band records it as light sleep.
    RemSleep,
    /// Briefly awake at night (turning over, a bathroom trip).
    Restless,
    /// Awake and still: desk, sofa, meals.
    Sitting,
    /// Awake and moving about without a proper walk: chores, cooking, errands.
    Pottering,
    /// Walking.
    Walking,
    /// Running.
    Running,
    /// Band off the wrist, e.g. for a shower.
    NotWorn,
    /// Band on its charger (therefore also off the wrist).
    Charging,
}

impl Activity {
    /// Every variant, for exhaustive tests.
    pub const ALL: [Activity; 10] = [
        Activity::DeepSleep,
        Activity::LightSleep,
        Activity::RemSleep,
        Activity::Restless,
        Activity::Sitting,
        Activity::Pottering,
        Activity::Walking,
        Activity::Running,
        Activity::NotWorn,
        Activity::Charging,
    ];

    /// Asleep (any stage).
    pub fn is_asleep(self) -> bool {
        matches!(
            self,
            Activity::DeepSleep | Activity::LightSleep | Activity::RemSleep
        )
    }

    /// On the wrist, so the band measures heart rate and counts steps.
    pub fn is_worn(self) -> bool {
        !matches!(self, Activity::NotWorn | Activity::Charging)
    }

    /// The low-nibble kind code the band uses for this state (docs/protocol.md §4.5): 1 activity,
    /// 2 running, 3 non-wear, 6 charging, 9 light sleep, 11 deep sleep.
    pub fn band_kind(self) -> u8 {
        use crate::protocol::activity::ActivityKind as K;
        match self {
            Activity::DeepSleep => K::DeepSleep,
            Activity::LightSleep | Activity::RemSleep => K::LightSleep,
            Activity::Restless | Activity::Sitting | Activity::Pottering | Activity::Walking => {
                K::Activity
            }
            Activity::Running => K::Running,
            Activity::NotWorn => K::NotWorn,
            Activity::Charging => K::Charging,
        }
        .code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_kinds_are_the_documented_codes() {
        let kinds: Vec<u8> = Activity::ALL.iter().map(|a| a.band_kind()).collect();
        assert_eq!(kinds, [11, 9, 9, 1, 1, 1, 1, 2, 3, 6]);
    }

    #[test]
    fn only_sleep_stages_are_asleep_and_only_off_wrist_states_are_unworn() {
        for a in Activity::ALL {
            assert_eq!(a.is_asleep(), matches!(a.band_kind(), 9 | 11), "{a:?}");
            assert_eq!(!a.is_worn(), matches!(a.band_kind(), 3 | 6), "{a:?}");
        }
    }
}
