//! An app's settings and the limits they keep.

use super::*;

const ALL: Served<'static> = Served { channels: &[Channel::Email, Channel::Sms, Channel::Whatsapp], countries: &[] };
const MAIL_ONLY: Served<'static> = Served { channels: &[Channel::Email], countries: &[] };

fn form() -> AppForm {
    AppForm {
        name: "  Acme shop ".into(),
        channels: vec![Channel::Sms, Channel::Email, Channel::Sms],
        ..Default::default()
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

#[test]
fn a_new_app_takes_the_defaults_and_keeps_each_channel_once_in_order() {
    let app = App::new(AppId(Uuid::nil()), form(), ALL, now()).unwrap();
    assert_eq!(app.name, "Acme shop");
    assert_eq!(app.channels, [Channel::Sms, Channel::Email]);
    assert_eq!((app.code_length, app.code_ttl.as_secs(), app.max_attempts), (6, 300, 5));
    assert!(app.is_active);
}

#[test]
fn app_settings_outside_their_ranges_are_refused_naming_the_field() {
    let cases: [(AppForm, &str); 9] = [
        (AppForm { code_length: Some(3), ..form() }, "code_length"),
        (AppForm { code_length: Some(11), ..form() }, "code_length"),
        (AppForm { ttl_seconds: Some(59), ..form() }, "ttl_seconds"),
        (AppForm { ttl_seconds: Some(3601), ..form() }, "ttl_seconds"),
        (AppForm { max_attempts: Some(0), ..form() }, "max_attempts"),
        (AppForm { max_attempts: Some(11), ..form() }, "max_attempts"),
        (AppForm { name: " ".into(), ..form() }, "name"),
        (AppForm { name: "a\nb".into(), ..form() }, "name"),
        (AppForm { channels: vec![], ..form() }, "channels"),
    ];
    for (f, field) in cases {
        match App::new(AppId(Uuid::nil()), f, ALL, now()) {
            Err(Error::InvalidField { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let edges = AppForm { code_length: Some(10), ttl_seconds: Some(60), max_attempts: Some(1), ..form() };
    assert!(App::new(AppId(Uuid::nil()), edges, ALL, now()).is_ok());
    let edges = AppForm { code_length: Some(4), ttl_seconds: Some(3600), max_attempts: Some(10), ..form() };
    assert!(App::new(AppId(Uuid::nil()), edges, ALL, now()).is_ok());
    assert!(App::new(AppId(Uuid::nil()), AppForm { name: "x".repeat(100), ..form() }, ALL, now()).is_ok());
    assert!(App::new(AppId(Uuid::nil()), AppForm { name: "x".repeat(101), ..form() }, ALL, now()).is_err());
}

#[test]
fn an_app_may_only_enable_channels_the_server_sends_on() {
    let e = App::new(AppId(Uuid::nil()), form(), MAIL_ONLY, now()).unwrap_err();
    assert!(matches!(e, Error::ChannelUnavailable), "{e:?}");
    let app =
        App::new(AppId(Uuid::nil()), AppForm { channels: vec![Channel::Email], ..form() }, MAIL_ONLY, now()).unwrap();
    assert_eq!(app.channels, [Channel::Email]);
    let e = AppChanges { channels: Some(vec![Channel::Whatsapp]), ..Default::default() }.checked(MAIL_ONLY);
    assert!(matches!(e, Err(Error::ChannelUnavailable)));
}

#[test]
fn changing_an_app_checks_each_setting_and_leaves_the_rest_unset() {
    let changes =
        AppChanges { max_attempts: Some(3), is_active: Some(false), ttl_seconds: Some(60), ..Default::default() };
    let patch = changes.checked(ALL).unwrap();
    assert_eq!(
        (patch.max_attempts, patch.is_active, patch.code_ttl),
        (Some(3), Some(false), Some(Duration::from_secs(60)))
    );
    assert_eq!((patch.name, patch.channels, patch.code_length), (None, None, None));
    let renamed = AppChanges {
        name: Some("  Shop ".into()),
        channels: Some(vec![Channel::Sms, Channel::Sms]),
        ..Default::default()
    };
    let patch = renamed.checked(ALL).unwrap();
    assert_eq!(
        (patch.name.as_deref(), patch.channels),
        (Some("Shop"), Some(vec![Channel::Sms])),
        "checked as a new app's"
    );
    for bad in [
        AppChanges { code_length: Some(2), ..Default::default() },
        AppChanges { ttl_seconds: Some(3601), ..Default::default() },
        AppChanges { max_attempts: Some(0), ..Default::default() },
        AppChanges { name: Some(" ".into()), ..Default::default() },
        AppChanges { channels: Some(vec![]), ..Default::default() },
    ] {
        assert!(matches!(bad.clone().checked(ALL), Err(Error::InvalidField { .. })), "{bad:?}");
    }
    assert!(AppChanges::default().field_names().is_empty());
    let two = AppChanges { is_active: Some(true), name: Some("x".into()), ..Default::default() };
    assert_eq!(two.field_names(), ["name", "is_active"]);
}

#[test]
fn an_apps_countries_are_iso_codes_the_deployment_texts_and_its_texted_codes_go_only_there() {
    let de_fr = ["DE".to_owned(), "FR".to_owned()];
    let served = Served { countries: &de_fr, ..ALL };
    let geo = AppForm { sms_countries: vec!["fr".into(), "FR".into()], ..form() };
    let app = App::new(AppId(Uuid::nil()), geo, served, now()).unwrap();
    assert_eq!((app.sms_countries.as_slice(), app.whatsapp_countries.len()), (["FR".to_owned()].as_slice(), 0));
    assert!(app.texts_to(Channel::Sms, "FR").is_ok());
    match app.texts_to(Channel::Sms, "DE") {
        Err(Error::DestinationNotAllowed { reason }) => {
            assert!(reason.contains("no sms codes to DE numbers"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(app.texts_to(Channel::Sms, "").is_err(), "a number of no country is no listed country");
    assert!(app.texts_to(Channel::Whatsapp, "DE").is_ok(), "empty: every country the deployment texts");
    assert!(app.texts_to(Channel::Email, "").is_ok(), "mail goes anywhere");
    for (bad, why) in [("US", "not among the countries this server texts"), ("ZZ", "ISO 3166"), ("DE,FR", "not one")] {
        let form = AppForm { whatsapp_countries: vec![bad.into()], ..form() };
        match App::new(AppId(Uuid::nil()), form, served, now()) {
            Err(Error::InvalidField { field: "whatsapp_countries", reason }) => {
                assert!(reason.contains(why), "{reason}")
            }
            other => panic!("{bad}: {other:?}"),
        }
        let change = AppChanges { sms_countries: Some(vec![bad.into()]), ..Default::default() };
        assert!(matches!(change.checked(served), Err(Error::InvalidField { field: "sms_countries", .. })), "{bad}");
    }
    let us = AppForm { sms_countries: vec!["US".into()], ..form() };
    assert!(App::new(AppId(Uuid::nil()), us, ALL, now()).is_ok(), "a deployment that texts everywhere");
    let cleared = AppChanges { sms_countries: Some(vec![]), ..Default::default() }.checked(served).unwrap();
    assert_eq!(cleared.sms_countries, Some(vec![]), "an empty list lifts the app's restriction");
}
