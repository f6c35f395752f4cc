//! The app's place on the screen, as the phone's system reports it (issue 16).
//!
//! Android tells the activity it is paused, stopped and resumed; iOS tells the app it resigns
//! and regains active. The platform glue (`src/platform/android.rs`, `src/platform/ios.rs`)
//! turns those into a [`Lifecycle`] and hands it to [`super::lifecycle_event`], on the UI thread; the
//! rule for each — what locks, what survives, what the auto-lock does meanwhile — is the
//! flow's (`Flow::lifecycle`), so the desktop tests drive it through the very same call.

/// Where the app stands with the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Something of the system's is over the app, which stays where it is: a dialog of the
    /// system the app itself asked for (the camera permission). The screens are covered, so no
    /// code shows; nothing locks, and the auto-lock keeps counting.
    Interrupted,
    /// The app left the screen (home, another app, the task switcher, the screen turned off):
    /// covered, and locked when it was unlocked.
    Background,
    /// The app is in front again: the cover goes; a lock stays until the PIN is typed.
    Foreground,
}

/// An Android activity's event, as android-activity's `MainEvent` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityEvent {
    /// `onPause`: the activity is no longer in front (also under a system dialog).
    Pause,
    /// `onStop`: the activity is no longer visible.
    Stop,
    /// `onResume`: in front again.
    Resume,
}

/// What an Android activity event means for the app. `asking_permission` is true while the
/// app's own request for a permission is open (the system dialog that pauses the activity is
/// then the one the user was just shown): that pause covers the app but does not lock it, or
/// answering the camera permission would throw the user out to Enter PIN. Everything else
/// that pauses or stops the activity locks.
pub fn android(event: ActivityEvent, asking_permission: bool) -> Lifecycle {
    match event {
        ActivityEvent::Pause if asking_permission => Lifecycle::Interrupted,
        ActivityEvent::Pause | ActivityEvent::Stop => Lifecycle::Background,
        ActivityEvent::Resume => Lifecycle::Foreground,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pausing_or_stopping_the_activity_locks_unless_under_the_apps_own_permission_dialog() {
        assert_eq!(android(ActivityEvent::Pause, false), Lifecycle::Background);
        assert_eq!(android(ActivityEvent::Stop, false), Lifecycle::Background);
        // The user leaves while the dialog is up: the stop that follows locks.
        assert_eq!(android(ActivityEvent::Stop, true), Lifecycle::Background);
        assert_eq!(android(ActivityEvent::Pause, true), Lifecycle::Interrupted);
        assert_eq!(android(ActivityEvent::Resume, true), Lifecycle::Foreground);
        assert_eq!(android(ActivityEvent::Resume, false), Lifecycle::Foreground);
    }
}
