//! Control operations on accounts: a template's status and quality score (with their
//! `message_template_status_update` and `message_template_quality_update` webhooks), a number's quality, throughput and messaging limit
//! (with `phone_number_quality_update`), `account_update` events, and deregistering a number.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ControlError, SimControl};
use crate::config::TemplateReview;
use crate::state::{read, write};
use crate::template_admin;
use crate::webhook::{Update, UpdateKind};

/// A change to a number's quality, throughput or limit, and the webhook event announcing it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityChange {
    /// `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `THROUGHPUT_UPGRADE`, ...
    pub event: String,
    /// The new quality rating (`GREEN`, `YELLOW`, `RED`).
    pub quality_rating: Option<String>,
    /// The new throughput in messages per second (1000 or more reads as level `HIGH`).
    pub throughput_mps: Option<u32>,
    /// The new messaging limit tier (`TIER_1K`, `TIER_10K`, `TIER_UNLIMITED`, ...).
    pub messaging_limit_tier: Option<String>,
}

impl SimControl {
    /// Sets a template's status (`APPROVED`, `PAUSED`, `DISABLED`, `REJECTED`, ...) and sends
    /// `message_template_status_update` to every WABA that sees it.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] when no such template exists.
    pub fn set_template_status(
        &self,
        name: &str,
        language: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Result<(), ControlError> {
        let template = read(&self.sim.templates)
            .iter()
            .find(|t| t.config.name == name && t.config.language == language)
            .cloned()
            .ok_or_else(|| ControlError::Invalid(format!("no template {name} ({language})")))?;
        let mut config = template.config.clone();
        config.status = status.to_owned();
        if status.eq_ignore_ascii_case("REJECTED") {
            config.rejected_reason = reason.map(str::to_owned);
        }
        config.id = Some(template.id.clone());
        self.sim
            .add_template(config)
            .map_err(ControlError::Invalid)?;
        let updated = template_admin::find_by_id(&self.sim, &template.id)
            .ok_or_else(|| ControlError::Invalid(format!("no template {name} ({language})")))?;
        template_admin::announce_status(&self.sim, &updated, status, reason.unwrap_or("NONE"));
        Ok(())
    }

    /// Sets a template's quality score (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`) and sends
    /// `message_template_quality_update` to every WABA that sees it.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] when no such template exists.
    pub fn set_template_quality(
        &self,
        name: &str,
        language: &str,
        score: &str,
    ) -> Result<(), ControlError> {
        let template = read(&self.sim.templates)
            .iter()
            .find(|t| t.config.name == name && t.config.language == language)
            .cloned()
            .ok_or_else(|| ControlError::Invalid(format!("no template {name} ({language})")))?;
        let previous = template
            .config
            .quality_score
            .clone()
            .unwrap_or_else(|| "UNKNOWN".into());
        let mut config = template.config.clone();
        config.quality_score = Some(score.to_owned());
        config.id = Some(template.id.clone());
        self.sim
            .add_template(config)
            .map_err(ControlError::Invalid)?;
        let updated = template_admin::find_by_id(&self.sim, &template.id)
            .ok_or_else(|| ControlError::Invalid(format!("no template {name} ({language})")))?;
        template_admin::announce_quality(&self.sim, &updated, &previous, score);
        Ok(())
    }

    /// How created and edited templates are reviewed now.
    pub fn template_review(&self) -> TemplateReview {
        self.sim.settings().template_review.clone()
    }

    /// Changes how created and edited templates are reviewed (delay, rejection rate and
    /// reason): Meta's review with fault injection.
    pub fn set_template_review(&self, review: TemplateReview) {
        self.sim
            .update_settings(|settings| settings.template_review = review);
    }

    /// Changes a number's quality, throughput or messaging limit and sends
    /// `phone_number_quality_update` to its WABA.
    ///
    /// # Errors
    /// [`ControlError::UnknownNumber`].
    pub fn update_number_quality(
        &self,
        phone_number_id: &str,
        change: QualityChange,
    ) -> Result<(), ControlError> {
        let number = self
            .sim
            .number(phone_number_id)
            .ok_or_else(|| ControlError::UnknownNumber(phone_number_id.to_owned()))?;
        let mut config = number.config.clone();
        if let Some(quality) = &change.quality_rating {
            config.quality_rating.clone_from(quality);
        }
        if let Some(mps) = change.throughput_mps {
            config.throughput_mps = Some(mps);
        }
        if let Some(tier) = &change.messaging_limit_tier {
            config.messaging_limit_tier.clone_from(tier);
        }
        config.registered = number.registered.load(Ordering::Relaxed);
        let waba_id = config.waba_id.clone();
        let display = config.display_phone_number.clone();
        let current_limit = config.messaging_limit_tier.clone();
        let old_limit = number.config.messaging_limit_tier.clone();
        write(&self.sim.numbers).insert(
            phone_number_id.to_owned(),
            Arc::new(number.reconfigured(config)),
        );
        let mut value = json!({
            "display_phone_number": display.chars().filter(char::is_ascii_digit).collect::<String>(),
            "event": change.event,
            "current_limit": current_limit,
        });
        if old_limit != current_limit {
            value["old_limit"] = json!(old_limit);
        }
        self.sim.webhooks.schedule(vec![(
            Duration::ZERO,
            Update {
                waba_id,
                phone_number_id: phone_number_id.to_owned(),
                display_digits: String::new(),
                kind: UpdateKind::Field {
                    field: "phone_number_quality_update",
                    value,
                    time: self.sim.now().as_secs(),
                },
            },
        )]);
        Ok(())
    }

    /// Sends an `account_update` webhook (`DISABLED_UPDATE`, `ACCOUNT_RESTRICTION`,
    /// `VERIFIED_ACCOUNT`, ...) for a WABA, optionally naming a number.
    pub fn account_update(&self, waba_id: &str, event: &str, phone_number: Option<&str>) {
        let mut value = json!({ "event": event });
        if let Some(number) = phone_number {
            value["phone_number"] = json!(number);
        }
        self.sim.webhooks.schedule(vec![(
            Duration::ZERO,
            Update {
                waba_id: waba_id.to_owned(),
                phone_number_id: String::new(),
                display_digits: String::new(),
                kind: UpdateKind::Field {
                    field: "account_update",
                    value,
                    time: self.sim.now().as_secs(),
                },
            },
        )]);
    }

    /// Deregisters a number from the Cloud API: `platform_type` reads `NOT_APPLICABLE` and
    /// sends fail with 133010 until it is registered again.
    ///
    /// # Errors
    /// [`ControlError::UnknownNumber`].
    pub fn deregister_number(&self, phone_number_id: &str) -> Result<(), ControlError> {
        let number = self
            .sim
            .number(phone_number_id)
            .ok_or_else(|| ControlError::UnknownNumber(phone_number_id.to_owned()))?;
        number.registered.store(false, Ordering::Relaxed);
        Ok(())
    }
}
