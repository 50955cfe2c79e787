//! The contract of each repository port, as one suite per port that runs
//! against any implementation: the in-memory fakes (domain's tests) and the
//! SeaORM adapters on SQLite and PostgreSQL (infra's tests). A rule the fake
//! keeps and the database does not, or the other way round, fails here.
//!
//! Every check takes a fresh, empty [`Store`]; [`port_contracts!`](crate::port_contracts)
//! turns the list of checks into one test each.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::assurance::{Amr, Assurance};
use crate::notify::{Channel, Delivery, MessageKind};
use crate::otp::{CodeRules, Method, OtpChallenge, Purpose};
use crate::ports::{
    AppRepo, AuditLog, AuthorizationRepo, ClientRepo, LoginFinisher, OtpRepo, Outbox, PasskeyRepo, PurgeStore,
    RecoveryCodeRepo, SessionRepo, SmsGuardStore, ThrottleStore, TotpRepo, TrustedDeviceRepo, UserRepo,
};
use crate::session::Session;
use crate::subject::Subject;
use crate::user::{Email, NewUser, PersonName, UserId, Username};

pub mod apps;
pub mod audit;
pub mod authorizations;
pub mod clients;
pub mod login_finish;
pub mod otps;
pub mod outbox;
pub mod passkeys;
pub mod recovery_codes;
pub mod retention;
pub mod sessions;
pub mod sms_guard;
pub mod throttles;
pub mod totp;
pub mod trusted_devices;
pub mod users;
pub mod verifications;

/// The repositories of one backend, all on the same (empty) database.
#[derive(Clone)]
pub struct Store {
    /// Named in every assertion message: `memory`, `sqlite`, `postgres`.
    pub name: &'static str,
    pub users: Arc<dyn UserRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub otps: Arc<dyn OtpRepo>,
    pub finisher: Arc<dyn LoginFinisher>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub audit: Arc<dyn AuditLog>,
    pub totp: Arc<dyn TotpRepo>,
    pub recovery_codes: Arc<dyn RecoveryCodeRepo>,
    pub outbox: Arc<dyn Outbox>,
    pub purge: Arc<dyn PurgeStore>,
    pub apps: Arc<dyn AppRepo>,
    pub clients: Arc<dyn ClientRepo>,
    pub authorizations: Arc<dyn AuthorizationRepo>,
    pub passkeys: Arc<dyn PasskeyRepo>,
    pub trusted_devices: Arc<dyn TrustedDeviceRepo>,
    pub sms_guard: Arc<dyn SmsGuardStore>,
}

/// The contract's "now": whole seconds, so every backend stores it exactly.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

/// `secs` seconds after [`t0`].
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

/// A time-ordered id for the `n`-th thing made: ids sort as `n` does.
pub fn nth_id(n: i64) -> Uuid {
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, at(n).timestamp() as u64, 0);
    Uuid::new_v7(ts)
}

pub fn new_user(n: i64, name: &str) -> NewUser {
    NewUser {
        id: UserId(nth_id(n)),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        username: Username::parse(name).unwrap(),
        name: PersonName::parse("name", "Test").unwrap(),
        lastname: PersonName::parse("lastname", "User").unwrap(),
        phone: None,
        password_hash: "$argon2id$fake".into(),
        is_admin: false,
        is_2fa: false,
        created_at: t0(),
    }
}

impl Store {
    /// Inserts a user named `name` (the `n`-th, for id order).
    pub async fn user(&self, n: i64, name: &str) -> UserId {
        self.users.insert(&new_user(n, name)).await.unwrap().id
    }

    /// Inserts an active administrator.
    pub async fn admin(&self, n: i64, name: &str) -> UserId {
        let mut u = new_user(n, name);
        u.is_admin = true;
        self.users.insert(&u).await.unwrap().id
    }
}

/// A live session of `user` from [`t0`], expiring after 30 days, of a
/// login by password and texted code a second after it began (every method
/// word but the passkey's, to prove they are all stored).
pub fn session(user: UserId) -> Session {
    Session {
        id: Uuid::new_v4(),
        user_id: user,
        refresh_jti: Uuid::new_v4(),
        created_at: t0(),
        expires_at: at(30 * 24 * 3600),
        revoked_at: None,
        assurance: Assurance::proved(Amr::two_factors(Method::Sms), at(1)),
        client: None,
    }
}

/// An open challenge of `user` sent at [`t0`], expiring after 4 minutes.
pub fn challenge(user: UserId) -> OtpChallenge {
    OtpChallenge {
        id: Uuid::new_v4(),
        owner: Subject::User(user),
        purpose: Purpose::Login,
        method: Method::Email,
        destination: None,
        code_hash: vec![7; 32],
        rules: CodeRules::SENT,
        attempts: 0,
        resends: 0,
        created_at: t0(),
        last_sent_at: t0(),
        expires_at: at(240),
        used_at: None,
        canceled_at: None,
        delivery_id: None,
        link_hash: None,
    }
}

/// A message to `user` queued at `at(secs)`, its code valid for 4 minutes.
pub fn delivery(user: UserId, secs: i64) -> Delivery {
    let id = Uuid::new_v4();
    let to = format!("{}@example.com", user.0.simple());
    Delivery::queued(id, Some(user), Channel::Email, to, MessageKind::LoginCode, vec![5; 40], at(secs + 240), at(secs))
}

/// A pending enrolment of `user` made at [`t0`].
pub fn enrolment(user: UserId, secret: u8) -> crate::totp::TotpCredential {
    crate::totp::TotpCredential {
        user_id: user,
        sealed_secret: vec![secret; 48],
        created_at: t0(),
        confirmed_at: None,
        last_step: None,
    }
}

/// Runs `n` copies of `call` at once and counts the `true` answers.
pub async fn winners<F, Fut>(n: usize, call: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = crate::Result<bool>>,
{
    let answers = futures::future::join_all((0..n).map(|_| call())).await;
    answers.into_iter().map(|a| a.unwrap() as usize).sum()
}

/// One `#[tokio::test]` per contract check, each on a fresh store from
/// `$store().await` (an `Option<Store>`; `None` skips, for a backend that
/// is not configured). Invoke at module level.
#[macro_export]
macro_rules! port_contracts {
    ($store:ident) => {
        $crate::port_contracts!(@suite $store, users: [
            a_user_round_trips_and_is_found_by_email_or_username,
            a_taken_email_or_username_is_a_conflict_on_insert_and_update,
            an_update_sets_only_the_given_fields_and_a_missing_user_is_none,
            the_last_active_admin_cannot_be_demoted_deactivated_or_deleted,
            two_admins_demoting_each_other_at_once_leave_one_admin,
            the_user_list_is_a_keyset_in_id_order_with_filters_and_literal_search,
            deleting_a_user_deletes_their_sessions_and_challenges,
            a_phone_is_verified_only_while_it_is_the_number_the_code_went_to,
            an_email_is_proved_only_while_it_is_the_users_address_and_only_its_prover_keeps_it,
            a_new_password_or_address_cancels_the_accounts_open_mailed_links_and_nothing_else,
        ]);
        $crate::port_contracts!(@suite $store, sessions: [
            a_session_is_created_only_for_an_existing_active_user,
            rotation_swaps_only_the_current_refresh_token_of_a_live_session,
            rotation_has_exactly_one_winner_among_fifty_concurrent_calls,
            a_step_up_replaces_the_assurance_and_the_refresh_token_of_its_users_live_session_only,
            a_session_is_active_for_its_user_until_revoked_or_expired,
            revocation_keeps_its_first_time_and_revoke_all_spares_the_kept_session,
            a_users_live_sessions_are_listed_newest_first_up_to_the_limit,
            a_session_is_revoked_by_its_owner_only_and_once_among_fifty,
            a_deleted_clients_live_sessions_end_together_and_no_others,
            a_clients_session_is_stored_only_from_a_live_browser_session_of_its_user_while_the_client_exists,
        ]);
        $crate::port_contracts!(@suite $store, otps: [
            a_challenge_round_trips_and_needs_an_existing_user,
            consume_needs_an_unused_unexpired_challenge_under_the_attempt_limit,
            consume_has_exactly_one_winner_among_fifty_concurrent_calls,
            failures_stop_counting_at_the_limit_even_under_concurrency,
            a_code_is_replaced_only_after_the_cooldown_within_the_limits_of_an_open_challenge,
            the_latest_challenge_of_a_purpose_is_the_users_newest_and_keeps_its_destination,
            a_phone_challenge_is_created_only_while_none_is_open_for_the_number_once_among_fifty,
            a_challenge_is_found_by_its_links_hash_and_two_challenges_never_share_one,
        ]);
        $crate::port_contracts!(@suite $store, login_finish: [
            a_finished_login_uses_the_challenge_opens_the_session_clears_the_count_and_records_the_events,
            a_closed_challenge_or_an_inactive_user_writes_nothing,
            a_write_failing_part_way_rolls_back_the_writes_before_it,
            of_fifty_concurrent_finishes_of_one_challenge_exactly_one_is_done,
        ]);
        $crate::port_contracts!(@suite $store, outbox: [
            a_challenge_and_its_message_are_stored_together,
            a_claim_takes_the_longest_due_rows_and_hides_them_until_the_lease_lapses,
            concurrent_claims_never_share_a_row,
            only_the_current_attempt_settles_and_settling_drops_the_code,
            a_resend_fails_the_queued_message_of_the_code_it_replaces,
            a_users_messages_go_with_the_user,
            a_notice_is_queued_alone_and_claimed_like_any_message,
        ]);
        $crate::port_contracts!(@suite $store, throttles: [
            concurrent_failures_are_each_counted_once_and_clear_forgets_them,
            locks_only_grow_and_expire_by_time,
            rate_windows_count_concurrent_hits_and_restart_when_over,
            a_request_taken_back_leaves_its_window_as_if_it_never_came,
            purge_drops_only_idle_counters_whose_lock_is_over,
        ]);
        $crate::port_contracts!(@suite $store, retention: [
            sessions_go_once_expired_or_revoked_and_live_ones_stay,
            challenges_and_messages_go_once_their_code_expired,
            events_go_once_older_than_the_cutoff,
            a_batch_deletes_at_most_its_limit_and_concurrent_purges_delete_each_row_once,
        ]);
        $crate::port_contracts!(@suite $store, audit: [
            events_come_back_newest_first_in_keyset_pages,
            an_apps_events_are_kept_apart_from_users_events,
            a_clients_events_are_kept_apart_from_users_and_apps_events,
        ]);
        $crate::port_contracts!(@suite $store, verifications: [
            a_verification_round_trips_with_its_app_rules_and_message,
            open_verifications_per_destination_are_capped_once_among_fifty,
            closed_verifications_do_not_count_against_the_cap,
            a_cancel_closes_only_an_open_verification_and_fails_its_queued_message,
            an_apps_verifications_and_messages_go_with_the_app,
        ]);
        $crate::port_contracts!(@suite $store, apps: [
            an_app_round_trips_with_its_key_and_lists_in_registration_order,
            a_key_finds_its_app_only_while_unexpired_and_the_app_active,
            a_new_key_ends_the_others_at_the_grace_time_unless_they_end_sooner,
            concurrent_rotations_leave_exactly_one_key_without_an_end,
            each_change_sets_only_its_settings_and_concurrent_changes_all_take_effect,
        ]);
        $crate::port_contracts!(@suite $store, clients: [
            a_client_round_trips_with_its_secret_and_lists_in_registration_order,
            a_new_secret_ends_the_others_at_the_grace_time_and_deleting_the_client_takes_them,
            concurrent_secret_rotations_leave_exactly_one_secret_without_an_end,
            a_credentials_grant_is_opened_once_among_concurrent_first_grants_and_ended_by_revocation_or_deletion,
            each_client_change_sets_only_its_settings_and_concurrent_changes_all_take_effect,
        ]);
        $crate::port_contracts!(@suite $store, authorizations: [
            a_request_round_trips_until_it_expires_and_is_dropped_once,
            a_consent_is_replaced_and_goes_with_its_user_and_its_client,
            a_code_is_redeemed_once_then_reported_replayed_with_the_session_it_issued,
            a_code_has_exactly_one_winner_among_fifty_concurrent_redemptions,
            expired_requests_go_and_codes_go_once_past_the_cutoff_used_or_not,
        ]);
        $crate::port_contracts!(@suite $store, totp: [
            a_pending_enrolment_is_replaced_until_confirmed_and_an_active_one_is_kept,
            confirmation_activates_only_a_pending_enrolment,
            confirmation_activates_only_the_enrolment_whose_code_was_checked,
            each_step_is_accepted_once_and_only_forward,
            a_step_has_exactly_one_winner_among_fifty_concurrent_calls,
            deletion_and_the_users_deletion_remove_the_enrolment,
        ]);
        $crate::port_contracts!(@suite $store, recovery_codes: [
            each_code_is_spent_once_and_a_new_set_replaces_the_old,
            a_code_has_exactly_one_winner_among_fifty_concurrent_calls,
            concurrent_replacements_leave_exactly_one_set,
            codes_go_with_the_user_and_belong_to_their_user,
        ]);
        $crate::port_contracts!(@suite $store, sms_guard: [
            fifty_concurrent_sends_to_a_prefix_at_its_limit_count_exactly_the_limit,
            a_correct_check_counts_in_the_window_its_code_was_sent_in,
            a_block_is_set_once_among_concurrent_deciders_and_refuses_sends_until_it_ends_or_is_lifted,
            an_idle_prefix_is_purged_but_not_while_its_block_lasts,
            fifty_concurrent_sends_over_many_prefixes_at_the_deployment_cap_count_exactly_the_cap,
            a_full_prefix_is_said_before_a_full_deployment_and_its_refusal_counts_nothing_in_either,
        ]);
        $crate::port_contracts!(@suite $store, passkeys: [
            a_passkey_round_trips_and_its_credential_id_is_unique_across_users,
            renaming_and_deleting_touch_only_the_owners_passkey,
            a_use_is_written_only_while_the_counter_advances,
            one_counter_value_is_accepted_once_among_fifty,
            a_ceremony_is_taken_once_by_its_purpose_and_owner_while_it_lives,
            a_new_ceremony_with_the_same_id_replaces_the_old,
            a_ceremony_has_exactly_one_taker_among_fifty,
            expired_ceremonies_are_purged_and_live_ones_stay,
        ]);
        $crate::port_contracts!(@suite $store, trusted_devices: [
            a_device_is_stored_only_while_the_session_that_trusted_it_is_its_users_and_live,
            a_device_is_found_by_its_token_hash_only_for_its_user_while_it_lives_and_its_use_is_written,
            listing_and_deleting_touch_only_the_owners_live_devices,
            expired_devices_are_purged_and_go_with_their_user,
        ]);
    };
    (@suite $store:ident, $suite:ident: [$($check:ident),* $(,)?]) => {
        mod $suite {
            $(
                #[tokio::test]
                async fn $check() {
                    if let Some(store) = super::$store().await {
                        $crate::testing::contract::$suite::$check(store).await;
                    }
                }
            )*
        }
    };
}

/// The in-memory fake keeps the same contract as the SQL adapters.
#[cfg(test)]
mod memory {
    use super::Store;
    use crate::testing::fakes::MemDb;
    use std::sync::Arc;

    async fn store() -> Option<Store> {
        let db = MemDb::default();
        Some(Store {
            name: "memory",
            users: Arc::new(db.clone()),
            sessions: Arc::new(db.clone()),
            otps: Arc::new(db.clone()),
            finisher: Arc::new(db.clone()),
            throttle: Arc::new(db.clone()),
            audit: Arc::new(db.clone()),
            totp: Arc::new(db.clone()),
            recovery_codes: Arc::new(db.clone()),
            outbox: Arc::new(db.clone()),
            purge: Arc::new(db.clone()),
            apps: Arc::new(db.clone()),
            clients: Arc::new(db.clone()),
            authorizations: Arc::new(db.clone()),
            passkeys: Arc::new(db.clone()),
            sms_guard: Arc::new(db.clone()),
            trusted_devices: Arc::new(db),
        })
    }

    crate::port_contracts!(store);
}
