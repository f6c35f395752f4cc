//! The camera permission's flow on Android, as a pure state machine (issue 16).
//!
//! Android's camera permission is granted at run time, and `NativeActivity` never hands the
//! user's answer to native code. What the app can learn is, at any moment, a [`Check`]: whether
//! the permission is granted (`checkSelfPermission`) and whether Android would show its
//! rationale (`shouldShowRequestPermissionRationale`, true once the user has declined but may
//! still be asked). Which state the app is in follows from a series of those checks and from
//! what the app did in between (asked, or not), and that is what [`CameraPermission`] keeps.
//!
//! `src/platform/android.rs` drives it: [`CameraPermission::checked`] at start and on every
//! resume (the activity is paused under the system dialog and resumed after it), and
//! [`CameraPermission::open`] whenever the camera is about to be opened, which says whether to
//! open it, to ask, or to give up. It lives outside the Android module so that it is
//! unit-tested on the desktop.

/// What Android says about the permission at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// `checkSelfPermission` answered `PERMISSION_GRANTED`.
    pub granted: bool,
    /// `shouldShowRequestPermissionRationale` answered true: the user has declined, and a
    /// request would still show the system dialog.
    pub show_rationale: bool,
}

impl Check {
    /// Granted.
    pub const GRANTED: Check = Check {
        granted: true,
        show_rationale: false,
    };
    /// Not granted, and Android shows no rationale: never asked, or asked and refused for good.
    pub const NOT_GRANTED: Check = Check {
        granted: false,
        show_rationale: false,
    };
    /// Not granted after the user declined once; asking again shows the dialog.
    pub const DECLINED: Check = Check {
        granted: false,
        show_rationale: true,
    };
}

/// Where the camera permission stands, as far as the app can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CameraPermission {
    /// Not granted, and not asked for in this process (nor declined before, as far as Android
    /// says).
    #[default]
    NotAsked,
    /// The app asked; the system dialog should be up, and the answer shows at the next resume.
    Asking {
        /// The user had already declined before this request.
        after_decline: bool,
    },
    /// Granted: the camera may be opened.
    Granted,
    /// Declined (or the dialog was dismissed); asking again shows the dialog.
    Denied,
    /// Refused for good: asking shows no dialog any more ("don't ask again", or a second
    /// refusal on Android 11 and later), so only the system settings can grant it.
    DeniedPermanently,
}

/// What to do when the user wants the camera, as [`CameraPermission::open`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The permission is granted: open the camera.
    Open,
    /// Ask for the permission (`requestPermissions`) and tell the user to try again after
    /// answering.
    Ask,
    /// Do not ask (no dialog would show): tell the user to allow the camera in the system
    /// settings.
    Refuse,
}

impl CameraPermission {
    /// The state after a check made outside a camera open: at start, and on each resume,
    /// which is when the answer to a request arrives.
    pub fn checked(self, check: Check) -> CameraPermission {
        use CameraPermission::*;
        if check.granted {
            return Granted;
        }
        if check.show_rationale {
            return Denied;
        }
        match self {
            // The dialog closed with no grant and no rationale: a first request dismissed (or
            // declined where Android shows no rationale yet) may be asked again; a second one
            // means the dialog will not come back.
            Asking {
                after_decline: false,
            } => Denied,
            Asking {
                after_decline: true,
            } => DeniedPermanently,
            Denied => Denied,
            DeniedPermanently => DeniedPermanently,
            // Never asked, or granted and since revoked in the settings.
            NotAsked | Granted => NotAsked,
        }
    }

    /// The user wants the camera now, and `check` is what Android says right now: the new
    /// state and what to do.
    pub fn open(self, check: Check) -> (CameraPermission, Next) {
        use CameraPermission::*;
        if check.granted {
            return (Granted, Next::Open);
        }
        let state = match self {
            // Still asking, yet no resume came in between: Android showed no dialog, which it
            // does when the permission was refused for good (also in an earlier run, which
            // this process cannot know otherwise).
            Asking { .. } => return (DeniedPermanently, Next::Refuse),
            other => other.checked(check),
        };
        match state {
            Denied => (
                Asking {
                    after_decline: true,
                },
                Next::Ask,
            ),
            DeniedPermanently => (DeniedPermanently, Next::Refuse),
            // NotAsked: `checked` without a grant gives no other state.
            NotAsked | Granted | Asking { .. } => (
                Asking {
                    after_decline: false,
                },
                Next::Ask,
            ),
        }
    }

    /// Whether the camera may be opened.
    pub fn is_granted(self) -> bool {
        self == CameraPermission::Granted
    }
}

#[cfg(test)]
mod tests {
    use super::CameraPermission::*;
    use super::*;

    #[test]
    fn granted_at_start_opens_the_camera_without_asking() {
        let state = NotAsked.checked(Check::GRANTED);
        assert_eq!(state, Granted);
        assert_eq!(state.open(Check::GRANTED), (Granted, Next::Open));
    }

    #[test]
    fn a_first_open_asks_and_the_grant_arrives_at_resume() {
        let (state, next) = NotAsked
            .checked(Check::NOT_GRANTED)
            .open(Check::NOT_GRANTED);
        assert_eq!(next, Next::Ask);
        assert_eq!(
            state,
            Asking {
                after_decline: false
            }
        );
        let state = state.checked(Check::GRANTED);
        assert!(state.is_granted());
        assert_eq!(state.open(Check::GRANTED).1, Next::Open);
    }

    #[test]
    fn a_decline_is_asked_again_and_a_second_refusal_is_permanent() {
        let (asking, _) = NotAsked.open(Check::NOT_GRANTED);
        let state = asking.checked(Check::DECLINED);
        assert_eq!(state, Denied);
        let (state, next) = state.open(Check::DECLINED);
        assert_eq!(next, Next::Ask);
        assert_eq!(
            state,
            Asking {
                after_decline: true
            }
        );
        // "Don't ask again": Android stops showing the rationale.
        let state = state.checked(Check::NOT_GRANTED);
        assert_eq!(state, DeniedPermanently);
        assert_eq!(
            state.open(Check::NOT_GRANTED),
            (DeniedPermanently, Next::Refuse)
        );
    }

    #[test]
    fn a_dismissed_first_dialog_may_be_asked_again() {
        let (asking, _) = NotAsked.open(Check::NOT_GRANTED);
        // Back pressed on the dialog: no grant, no rationale.
        let state = asking.checked(Check::NOT_GRANTED);
        assert_eq!(state, Denied);
        assert_eq!(state.open(Check::NOT_GRANTED).1, Next::Ask);
    }

    #[test]
    fn a_decline_in_an_earlier_run_is_known_from_the_rationale() {
        let state = NotAsked.checked(Check::DECLINED);
        assert_eq!(state, Denied);
        assert_eq!(
            state.open(Check::DECLINED).0,
            Asking {
                after_decline: true
            }
        );
    }

    #[test]
    fn a_request_that_shows_no_dialog_is_a_permanent_refusal() {
        // Refused for good in an earlier run: the check looks like "never asked", the request
        // shows nothing, so no pause and resume comes before the next open.
        let (asking, next) = NotAsked
            .checked(Check::NOT_GRANTED)
            .open(Check::NOT_GRANTED);
        assert_eq!(next, Next::Ask);
        assert_eq!(
            asking.open(Check::NOT_GRANTED),
            (DeniedPermanently, Next::Refuse)
        );
    }

    #[test]
    fn a_grant_in_the_settings_ends_a_permanent_refusal() {
        assert_eq!(DeniedPermanently.checked(Check::GRANTED), Granted);
        assert_eq!(
            DeniedPermanently.open(Check::GRANTED),
            (Granted, Next::Open)
        );
    }

    #[test]
    fn a_permission_revoked_in_the_settings_is_asked_for_again() {
        let state = Granted.checked(Check::NOT_GRANTED);
        assert_eq!(state, NotAsked);
        assert_eq!(state.open(Check::NOT_GRANTED).1, Next::Ask);
    }
}
