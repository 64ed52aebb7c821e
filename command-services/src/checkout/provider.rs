//! Payment providers: the trait the checkout process calls, and the built-in deterministic test
//! provider. Every call carries an idempotency key; a provider answers a repeated key with its
//! first answer, so a retried or replayed call never charges twice.
//!
//! A real provider plugs in by implementing [`PaymentProvider`] (mapping its API's declines to
//! [`Authorization::Declined`], its timeouts and 5xx answers to [`ProviderError::Transient`])
//! and handing it to the checkout process instead of [`TestProvider`].

use async_trait::async_trait;
use domain::values::Money;
use std::collections::HashMap;
use std::sync::Mutex;

/// The answer to an authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The amount is held; `reference` names the authorization at the provider.
    Approved {
        /// The provider's reference.
        reference: String,
    },
    /// Refused for good (card declined, unknown method).
    Declined {
        /// Why.
        reason: String,
    },
}

/// A provider call that did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Unreachable, timed out, or busy: retrying may work.
    #[error("payment provider unavailable: {0}")]
    Transient(String),
    /// Refused in a way retrying will not change.
    #[error("payment provider refused: {0}")]
    Fatal(String),
}

/// What the checkout process needs of a payment provider.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Holds `amount` on the method.
    async fn authorize(
        &self,
        key: &str,
        method: &str,
        amount: &Money,
    ) -> Result<Authorization, ProviderError>;
    /// Takes the held amount.
    async fn capture(
        &self,
        key: &str,
        reference: &str,
        amount: &Money,
    ) -> Result<(), ProviderError>;
    /// Releases a hold that will not be captured.
    async fn void(&self, key: &str, reference: &str) -> Result<(), ProviderError>;
    /// Gives captured money back.
    async fn refund(&self, key: &str, reference: &str, amount: &Money)
    -> Result<(), ProviderError>;
}

/// A provider's answer to one call, kept for repeats of its key.
type Answer = Result<Authorization, ProviderError>;

/// One call as the test provider saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `authorize`, `capture`, `void` or `refund`.
    pub operation: &'static str,
    /// The idempotency key.
    pub key: String,
    /// The amount, in minor units.
    pub amount: i64,
    /// `approved`, `declined`, `transient`, `ok`, or `replayed` for a repeated key.
    pub outcome: String,
}

/// The built-in provider with its documented test methods:
/// - `pm_card_ok`: authorizes;
/// - `pm_card_declined`: declined;
/// - `pm_card_flaky`: the first attempt fails transiently, the next authorizes;
/// - `pm_card_unavailable`: always fails transiently;
/// - any other method: declined as unknown.
#[derive(Debug, Default)]
pub struct TestProvider {
    calls: Mutex<Vec<Call>>,
    answers: Mutex<HashMap<(&'static str, String), Answer>>,
    attempts: Mutex<HashMap<String, u32>>,
}

impl TestProvider {
    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The calls of one operation that changed money (first answers, not replays).
    pub fn effective(&self, operation: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.operation == operation && matches!(c.outcome.as_str(), "approved" | "ok"))
            .collect()
    }

    fn record(&self, operation: &'static str, key: &str, amount: i64, outcome: &str) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Call {
                operation,
                key: key.to_owned(),
                amount,
                outcome: outcome.to_owned(),
            });
        }
    }

    /// The stored answer to a repeated key, recorded as a replay.
    fn replayed(&self, operation: &'static str, key: &str, amount: i64) -> Option<Answer> {
        let answer = self
            .answers
            .lock()
            .ok()?
            .get(&(operation, key.to_owned()))
            .cloned()?;
        self.record(operation, key, amount, "replayed");
        Some(answer)
    }

    fn remember(&self, operation: &'static str, key: &str, answer: &Answer) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert((operation, key.to_owned()), answer.clone());
        }
    }

    fn attempt(&self, key: &str) -> u32 {
        let Ok(mut attempts) = self.attempts.lock() else {
            return 1;
        };
        let n = attempts.entry(key.to_owned()).or_default();
        *n += 1;
        *n
    }

    fn simple(&self, operation: &'static str, key: &str, amount: i64) -> Result<(), ProviderError> {
        if self.replayed(operation, key, amount).is_none() {
            self.remember(
                operation,
                key,
                &Ok(Authorization::Approved {
                    reference: String::new(),
                }),
            );
            self.record(operation, key, amount, "ok");
        }
        Ok(())
    }
}

#[async_trait]
impl PaymentProvider for TestProvider {
    async fn authorize(
        &self,
        key: &str,
        method: &str,
        amount: &Money,
    ) -> Result<Authorization, ProviderError> {
        if let Some(answer) = self.replayed("authorize", key, amount.amount()) {
            return answer;
        }
        let answer = match method {
            "pm_card_ok" => Ok(Authorization::Approved {
                reference: format!("auth_{key}"),
            }),
            "pm_card_declined" => Ok(Authorization::Declined {
                reason: "card declined".into(),
            }),
            "pm_card_flaky" if self.attempt(key) == 1 => {
                Err(ProviderError::Transient("flaky card network".into()))
            }
            "pm_card_flaky" => Ok(Authorization::Approved {
                reference: format!("auth_{key}"),
            }),
            "pm_card_unavailable" => {
                Err(ProviderError::Transient("card network unavailable".into()))
            }
            other => Ok(Authorization::Declined {
                reason: format!("unknown payment method {other}"),
            }),
        };
        let outcome = match &answer {
            Ok(Authorization::Approved { .. }) => "approved",
            Ok(Authorization::Declined { .. }) => "declined",
            Err(_) => "transient",
        };
        self.record("authorize", key, amount.amount(), outcome);
        // Only answers are remembered: a transient failure may be retried with the same key.
        if answer.is_ok() {
            self.remember("authorize", key, &answer);
        }
        answer
    }

    async fn capture(
        &self,
        key: &str,
        _reference: &str,
        amount: &Money,
    ) -> Result<(), ProviderError> {
        self.simple("capture", key, amount.amount())
    }

    async fn void(&self, key: &str, _reference: &str) -> Result<(), ProviderError> {
        self.simple("void", key, 0)
    }

    async fn refund(
        &self,
        key: &str,
        _reference: &str,
        amount: &Money,
    ) -> Result<(), ProviderError> {
        self.simple("refund", key, amount.amount())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::values::Currency;

    fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::parse("EUR").unwrap()).unwrap()
    }

    #[tokio::test]
    async fn the_test_methods_behave_as_documented() {
        let p = TestProvider::default();
        assert!(matches!(
            p.authorize("k1", "pm_card_ok", &eur(5)).await,
            Ok(Authorization::Approved { .. })
        ));
        assert!(matches!(
            p.authorize("k2", "pm_card_declined", &eur(5)).await,
            Ok(Authorization::Declined { .. })
        ));
        assert!(matches!(
            p.authorize("k3", "pm_card_flaky", &eur(5)).await,
            Err(ProviderError::Transient(_))
        ));
        assert!(matches!(
            p.authorize("k3", "pm_card_flaky", &eur(5)).await,
            Ok(Authorization::Approved { .. })
        ));
        for _ in 0..3 {
            assert!(matches!(
                p.authorize("k4", "pm_card_unavailable", &eur(5)).await,
                Err(ProviderError::Transient(_))
            ));
        }
        assert!(matches!(
            p.authorize("k5", "pm_cash", &eur(5)).await,
            Ok(Authorization::Declined { .. })
        ));
    }

    #[tokio::test]
    async fn a_repeated_key_is_answered_without_charging_again() {
        let p = TestProvider::default();
        let first = p.authorize("k", "pm_card_ok", &eur(5)).await;
        assert_eq!(p.authorize("k", "pm_card_ok", &eur(5)).await, first);
        p.capture("c", "ref", &eur(5)).await.unwrap();
        p.capture("c", "ref", &eur(5)).await.unwrap();
        assert_eq!(p.effective("authorize").len(), 1);
        assert_eq!(p.effective("capture").len(), 1);
        assert_eq!(p.calls().len(), 4);
    }
}
