//! Tests for template messages: parameter limits, named parameters, buttons and the counting helpers.

use super::*;

fn fields() -> TemplateFields {
    TemplateFields {
        name: TemplateName::parse("order_update").unwrap(),
        language: LanguageCode::parse("he").unwrap(),
        header: Some(HeaderParameter::Text {
            parameter_name: None,
            text: "הזמנה 42".into(),
        }),
        body: vec![
            BodyParameter::text("נועה"),
            BodyParameter::Currency {
                parameter_name: None,
                currency: Currency {
                    fallback_value: "₪12.34".into(),
                    code: "ILS".into(),
                    amount_1000: 12_340,
                },
            },
            BodyParameter::DateTime {
                parameter_name: None,
                date_time: DateTime {
                    fallback_value: "24 בנובמבר".into(),
                },
            },
        ],
        buttons: vec![
            TemplateButton::QuickReply {
                index: 0,
                payload: "TRACK_42".into(),
            },
            TemplateButton::Url {
                index: 1,
                text: "orders/42".into(),
            },
            TemplateButton::CopyCode {
                index: 2,
                coupon_code: "SAVE10".into(),
            },
        ],
    }
}

fn template(change: impl FnOnce(&mut TemplateFields)) -> Result<Template, ValidationError> {
    let mut fields = fields();
    change(&mut fields);
    Template::new(fields)
}

/// `None`: must be accepted; `Some((field, violation))`: must be refused with exactly that.
type Expected = Option<(&'static str, Violation)>;

fn too_long(max: usize) -> Violation {
    Violation::TooLong {
        max,
        actual: max + 1,
    }
}

#[test]
fn parameter_limits() {
    let name_format = Violation::Format {
        expected: "lowercase letters, digits and underscores",
    };
    let cases: Vec<(&str, Result<Template, ValidationError>, Expected)> = vec![
        ("full template", template(|_| {}), None),
        (
            "header text of 60",
            template(|f| {
                f.header = Some(HeaderParameter::Text {
                    parameter_name: None,
                    text: "ש".repeat(60),
                });
            }),
            None,
        ),
        (
            "header text of 61",
            template(|f| {
                f.header = Some(HeaderParameter::Text {
                    parameter_name: None,
                    text: "h".repeat(61),
                });
            }),
            Some(("template.header.text", too_long(60))),
        ),
        (
            "header document with a path as file name",
            template(|f| {
                f.header = Some(HeaderParameter::Document {
                    media: MediaSource::id("42").unwrap(),
                    filename: Some("a/b.pdf".into()),
                });
            }),
            Some((
                "template.header.filename",
                Violation::Format {
                    expected: "a file name without path separators or control characters",
                },
            )),
        ),
        (
            "body text of 32768",
            template(|f| f.body[0] = BodyParameter::text("b".repeat(32768))),
            None,
        ),
        (
            "body text of 32769",
            template(|f| f.body[0] = BodyParameter::text("b".repeat(32769))),
            Some(("template.body[0].text", too_long(32768))),
        ),
        (
            "empty body text",
            template(|f| f.body[0] = BodyParameter::text("")),
            Some(("template.body[0].text", Violation::Empty)),
        ),
        (
            "lower-case currency code",
            template(|f| {
                if let BodyParameter::Currency { currency, .. } = &mut f.body[1] {
                    currency.code = "ils".into();
                }
            }),
            Some((
                "template.body[1].currency.code",
                Violation::Format {
                    expected: "an ISO 4217 currency code of three capital letters, like USD",
                },
            )),
        ),
        (
            "four-letter currency code",
            template(|f| {
                if let BodyParameter::Currency { currency, .. } = &mut f.body[1] {
                    currency.code = "USDT".into();
                }
            }),
            Some((
                "template.body[1].currency.code",
                Violation::Format {
                    expected: "an ISO 4217 currency code of three capital letters, like USD",
                },
            )),
        ),
        (
            "empty currency fallback",
            template(|f| {
                if let BodyParameter::Currency { currency, .. } = &mut f.body[1] {
                    currency.fallback_value = String::new();
                }
            }),
            Some(("template.body[1].currency.fallback_value", Violation::Empty)),
        ),
        (
            "empty date fallback",
            template(|f| {
                f.body[2] = BodyParameter::DateTime {
                    parameter_name: None,
                    date_time: DateTime {
                        fallback_value: " ".into(),
                    },
                };
            }),
            Some((
                "template.body[2].date_time.fallback_value",
                Violation::Empty,
            )),
        ),
        (
            "named and positional mixed",
            template(|f| f.body[0] = BodyParameter::named_text("first_name", "Noa")),
            Some((
                "template.body",
                Violation::Conflict(
                    "parameters must be all named (parameter_name) or all positional, as the template defines them",
                ),
            )),
        ),
        (
            "all named",
            template(|f| {
                f.body = vec![
                    BodyParameter::named_text("first_name", "Noa"),
                    BodyParameter::named_text("order_id", "42"),
                ];
            }),
            None,
        ),
        (
            "repeated name",
            template(|f| {
                f.body = vec![
                    BodyParameter::named_text("first_name", "Noa"),
                    BodyParameter::named_text("first_name", "Dan"),
                ];
            }),
            Some((
                "template.body[1].parameter_name",
                Violation::Duplicate("first_name".into()),
            )),
        ),
        (
            "name with capitals",
            template(|f| f.body = vec![BodyParameter::named_text("FirstName", "Noa")]),
            Some(("template.body[0].parameter_name", name_format.clone())),
        ),
        (
            "header name with a space",
            template(|f| {
                f.header = Some(HeaderParameter::Text {
                    parameter_name: Some("order id".into()),
                    text: "42".into(),
                });
            }),
            Some(("template.header.parameter_name", name_format)),
        ),
        (
            "button index 9",
            template(|f| {
                f.buttons = vec![TemplateButton::QuickReply {
                    index: 9,
                    payload: "P".into(),
                }];
            }),
            None,
        ),
        (
            "button index 10",
            template(|f| {
                f.buttons = vec![TemplateButton::QuickReply {
                    index: 10,
                    payload: "P".into(),
                }];
            }),
            Some((
                "template.buttons[0].index",
                Violation::OutOfRange { range: "0..=9" },
            )),
        ),
        (
            "repeated button index",
            template(|f| {
                f.buttons.push(TemplateButton::QuickReply {
                    index: 1,
                    payload: "AGAIN".into(),
                });
            }),
            Some((
                "template.buttons[3].index",
                Violation::Duplicate("1".into()),
            )),
        ),
        (
            "empty quick-reply payload",
            template(|f| {
                f.buttons[0] = TemplateButton::QuickReply {
                    index: 0,
                    payload: String::new(),
                };
            }),
            Some(("template.buttons[0].payload", Violation::Empty)),
        ),
        (
            "url suffix of 2000",
            template(|f| {
                f.buttons[1] = TemplateButton::Url {
                    index: 1,
                    text: "u".repeat(2000),
                };
            }),
            None,
        ),
        (
            "url suffix of 2001",
            template(|f| {
                f.buttons[1] = TemplateButton::Url {
                    index: 1,
                    text: "u".repeat(2001),
                };
            }),
            Some(("template.buttons[1].text", too_long(2000))),
        ),
        (
            "url suffix with a space",
            template(|f| {
                f.buttons[1] = TemplateButton::Url {
                    index: 1,
                    text: "orders/4 2".into(),
                };
            }),
            Some((
                "template.buttons[1].text",
                Violation::Format {
                    expected: "a URL suffix without spaces",
                },
            )),
        ),
        (
            "coupon of 15",
            template(|f| {
                f.buttons[2] = TemplateButton::CopyCode {
                    index: 2,
                    coupon_code: "C".repeat(15),
                };
            }),
            None,
        ),
        (
            "coupon of 16",
            template(|f| {
                f.buttons[2] = TemplateButton::CopyCode {
                    index: 2,
                    coupon_code: "C".repeat(16),
                };
            }),
            Some(("template.buttons[2].coupon_code", too_long(15))),
        ),
        (
            "flow with data",
            template(|f| {
                f.buttons = vec![TemplateButton::Flow {
                    index: 0,
                    flow_token: Some("token-1".into()),
                    flow_action_data: Some(r#"{"order": 42}"#.into()),
                }];
            }),
            None,
        ),
        (
            "flow data that is not an object",
            template(|f| {
                f.buttons = vec![TemplateButton::Flow {
                    index: 0,
                    flow_token: None,
                    flow_action_data: Some("[42]".into()),
                }];
            }),
            Some((
                "template.buttons[0].flow_action_data",
                Violation::Format {
                    expected: "a JSON object",
                },
            )),
        ),
    ];
    for (case, result, expected) in cases {
        match (result, expected) {
            (Ok(_), None) => {}
            (Err(err), Some((field, violation))) => {
                assert_eq!(
                    (err.field(), err.violation()),
                    (field, &violation),
                    "{case}"
                );
            }
            (result, expected) => panic!("{case}: got {result:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn counts_parameters_per_component() {
    let template = template(|_| {}).unwrap();
    assert_eq!(
        template.parameter_counts(),
        ParameterCounts {
            header: 1,
            body: 3,
            buttons: vec![(0, 1), (1, 1), (2, 1)],
        }
    );
    assert!(template.named_parameters().is_empty());
    let bare = Template::without_parameters(
        TemplateName::parse("hello_world").unwrap(),
        LanguageCode::parse("en_US").unwrap(),
    );
    assert_eq!(bare.parameter_counts(), ParameterCounts::default());
}

#[test]
fn lists_named_parameters_with_their_component() {
    let template = template(|f| {
        f.header = Some(HeaderParameter::Text {
            parameter_name: Some("order_id".into()),
            text: "42".into(),
        });
        f.body = vec![
            BodyParameter::named_text("first_name", "Noa"),
            BodyParameter::Currency {
                parameter_name: Some("total".into()),
                currency: Currency {
                    fallback_value: "$1".into(),
                    code: "USD".into(),
                    amount_1000: 1000,
                },
            },
        ];
    })
    .unwrap();
    assert_eq!(
        template.named_parameters(),
        [
            NamedParameter {
                component: TemplateComponent::Header,
                name: "order_id"
            },
            NamedParameter {
                component: TemplateComponent::Body,
                name: "first_name"
            },
            NamedParameter {
                component: TemplateComponent::Body,
                name: "total"
            },
        ]
    );
}

#[test]
fn buttons_report_sub_type_and_index() {
    let template = template(|_| {}).unwrap();
    let described: Vec<_> = template
        .buttons()
        .iter()
        .map(|b| (b.sub_type(), b.index()))
        .collect();
    assert_eq!(
        described,
        [("quick_reply", 0), ("url", 1), ("copy_code", 2)]
    );
}

#[test]
fn serde_round_trips_and_checks() {
    let template = template(|f| {
        f.header = Some(HeaderParameter::Location {
            location: Location::new(32.08, 34.78, Some("Office".into()), None).unwrap(),
        });
    })
    .unwrap();
    let json = serde_json::to_value(&template).unwrap();
    assert_eq!(json["header"]["type"], "location");
    assert_eq!(json["body"][1]["currency"]["amount_1000"], 12_340);
    assert_eq!(json["buttons"][2]["sub_type"], "copy_code");
    let back: Template = serde_json::from_value(json).unwrap();
    assert_eq!(back, template);

    for (json, expected) in [
        (
            r#"{"name": "Bad Name", "language": "en"}"#,
            "template.name: must be lowercase",
        ),
        (
            r#"{"name": "ok", "language": "english"}"#,
            "template.language: must be a language code",
        ),
        (
            r#"{"name": "ok", "language": "en", "buttons": [{"sub_type": "copy_code", "index": 0, "coupon_code": "WAY_TOO_LONG_CODE"}]}"#,
            "template.buttons[0].coupon_code: must be at most 15",
        ),
        (
            r#"{"name": "ok", "language": "en", "body": [{"type": "currency", "currency": {"fallback_value": "$1", "code": "usd", "amount_1000": 1000}}]}"#,
            "template.body[0].currency.code",
        ),
    ] {
        let err = serde_json::from_str::<Template>(json)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{json}: `{err}` lacks `{expected}`");
    }
}
