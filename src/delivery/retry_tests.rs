use super::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;

fn secs(s: &Schedule) -> Vec<u64> {
    s.delays.iter().map(Duration::as_secs).collect()
}

// Expected values computed with Zaqar's own functions (python3, webhook.py).
#[test]
fn backoff_functions_match_zaqar_with_defaults() {
    assert_eq!(backoff_delays(Backoff::Linear, 5, 30), [5, 10, 15, 20, 25]);
    assert_eq!(
        backoff_delays(Backoff::Geometric, 5, 30),
        [5, 7, 12, 19, 30]
    );
    assert_eq!(
        backoff_delays(Backoff::Exponential, 5, 30),
        [5, 7, 12, 19, 30]
    );
    assert_eq!(
        backoff_delays(Backoff::Arithmetic, 5, 30),
        [5, 7, 12, 20, 30]
    );
}

#[test]
fn backoff_functions_match_zaqar_with_custom_bounds() {
    assert_eq!(
        backoff_delays(Backoff::Linear, 2, 61),
        [2, 7, 12, 17, 22, 27, 32, 37, 42, 47, 52, 57]
    );
    assert_eq!(
        backoff_delays(Backoff::Geometric, 2, 61),
        [2, 2, 3, 5, 7, 11, 15, 21, 30, 43, 61]
    );
    assert_eq!(
        backoff_delays(Backoff::Exponential, 2, 61),
        [2, 2, 3, 5, 7, 11, 15, 21, 30, 43, 61]
    );
    assert_eq!(
        backoff_delays(Backoff::Arithmetic, 2, 61),
        [2, 3, 5, 8, 12, 18, 24, 32, 40, 50, 61]
    );
    assert_eq!(
        backoff_delays(Backoff::Arithmetic, 1, 100),
        [1, 1, 2, 4, 6, 9, 13, 17, 21, 27, 32, 39, 46, 53, 61, 70, 79, 89, 100]
    );
    assert_eq!(
        backoff_delays(Backoff::Geometric, 1, 100),
        [1, 1, 1, 2, 2, 3, 4, 5, 7, 10, 12, 16, 21, 27, 35, 46, 59, 77, 100]
    );
    assert_eq!(backoff_delays(Backoff::Exponential, 10, 20), [10, 20]);
}

#[test]
fn where_zaqar_would_divide_by_zero_the_phase_is_empty() {
    assert!(backoff_delays(Backoff::Geometric, 0, 30).is_empty());
    assert!(backoff_delays(Backoff::Exponential, 0, 30).is_empty());
    assert!(backoff_delays(Backoff::Arithmetic, 5, 9).is_empty());
    assert_eq!(backoff_delays(Backoff::Arithmetic, 0, 10), [0, 10]);
}

#[test]
fn zaqar_policy_defaults_give_the_four_phases() {
    let p = effective_policy(Some(&json!({"retry_backoff_function": "linear"})), None);
    assert_eq!(
        secs(&p.schedule()),
        [0, 0, 0, 5, 5, 5, 5, 10, 15, 20, 25, 30, 30, 30]
    );
    assert_eq!(p.schedule().max_attempts(), 15);
    assert_eq!(p.schedule().jitter, 0.0);
}

#[test]
fn zaqar_policy_custom_values() {
    let policy = json!({
        "retries_with_no_delay": 1, "minimum_delay_retries": 2, "minimum_delay": 2,
        "maximum_delay": 61, "maximum_delay_retries": 1,
        "retry_backoff_function": "geometric"
    });
    let p = effective_policy(None, Some(&policy));
    assert_eq!(
        secs(&p.schedule()),
        [0, 2, 2, 2, 2, 3, 5, 7, 11, 15, 21, 30, 43, 61, 61]
    );
}

#[test]
fn choice_between_queue_and_subscription() {
    let q = json!({"retries_with_no_delay": 7});
    let s = json!({"retries_with_no_delay": 1});
    let nod = |p: RetryPolicy| match p {
        RetryPolicy::Zaqar(z) => Some(z.retries_with_no_delay),
        RetryPolicy::Default => None,
    };
    assert_eq!(nod(effective_policy(Some(&q), Some(&s))), Some(1));
    assert_eq!(nod(effective_policy(Some(&q), None)), Some(7));
    assert_eq!(nod(effective_policy(None, Some(&s))), Some(1));
    assert_eq!(nod(effective_policy(Some(&q), Some(&json!({})))), Some(7));
    assert_eq!(nod(effective_policy(Some(&q), Some(&Value::Null))), Some(7));
    assert_eq!(nod(effective_policy(None, None)), None);
    assert_eq!(nod(effective_policy(Some(&json!({})), None)), None);

    let q_forces = json!({"retries_with_no_delay": 7, "ignore_subscription_override": true});
    assert_eq!(nod(effective_policy(Some(&q_forces), Some(&s))), Some(7));
    let s_forces = json!({"retries_with_no_delay": 1, "ignore_subscription_override": true});
    assert_eq!(nod(effective_policy(Some(&q), Some(&s_forces))), Some(7));
    // Forced to the queue's but the queue has none: the default schedule.
    assert_eq!(nod(effective_policy(None, Some(&s_forces))), None);
}

#[test]
fn odd_values_fall_back_to_defaults() {
    let p = effective_policy(
        Some(
            &json!({"minimum_delay": null, "retries_with_no_delay": -3, "retry_backoff_function": 4}),
        ),
        None,
    );
    assert_eq!(
        p,
        RetryPolicy::Zaqar(ZaqarPolicy {
            retries_with_no_delay: 3,
            minimum_delay_retries: 3,
            minimum_delay: 5,
            maximum_delay: 30,
            maximum_delay_retries: 3,
            backoff: Backoff::Linear,
        })
    );
}

#[test]
fn default_schedule_spans_hours_with_bounded_jitter() {
    let s = RetryPolicy::Default.schedule();
    assert_eq!(s.max_attempts(), 10);
    let total: u64 = secs(&s).iter().sum();
    assert!((15 * 3600..17 * 3600).contains(&total), "{total}");
    let mut rng = StdRng::seed_from_u64(7);
    assert_eq!(delay_before_attempt(&s, 0, &mut rng), Some(Duration::ZERO));
    for _ in 0..200 {
        for (i, base) in DEFAULT_DELAYS.iter().enumerate() {
            let d = delay_before_attempt(&s, i as u32 + 1, &mut rng).unwrap();
            let (lo, hi) = (*base as f64 * 0.8, *base as f64 * 1.2);
            assert!((lo..=hi).contains(&d.as_secs_f64()), "{d:?} vs {base}");
        }
    }
    assert_eq!(delay_before_attempt(&s, 10, &mut rng), None);
    assert_eq!(delay_before_attempt(&s, u32::MAX, &mut rng), None);
}

#[test]
fn zaqar_schedule_is_exact_and_exhausts() {
    let s = effective_policy(Some(&json!({"minimum_delay_retries": 1})), None).schedule();
    let mut rng = StdRng::seed_from_u64(1);
    let got: Vec<_> = (1..=s.max_attempts())
        .map(|n| delay_before_attempt(&s, n, &mut rng).map(|d| d.as_secs()))
        .collect();
    assert_eq!(
        got,
        [
            Some(0),
            Some(0),
            Some(0),
            Some(5),
            Some(5),
            Some(10),
            Some(15),
            Some(20),
            Some(25),
            Some(30),
            Some(30),
            Some(30),
            None
        ]
    );
}

#[test]
fn retry_after_only_lengthens_and_is_bounded() {
    let s = effective_policy(Some(&json!({"minimum_delay_retries": 1})), None).schedule();
    let mut rng = StdRng::seed_from_u64(1);
    let sec = Duration::from_secs;
    assert_eq!(next_delay(&s, 4, Some(sec(60)), &mut rng), Some(sec(60)));
    assert_eq!(next_delay(&s, 4, Some(sec(1)), &mut rng), Some(sec(5)));
    assert_eq!(next_delay(&s, 4, None, &mut rng), Some(sec(5)));
    assert_eq!(
        next_delay(&s, 4, Some(sec(86_400)), &mut rng),
        Some(MAX_RETRY_AFTER)
    );
    assert_eq!(next_delay(&s, 12, Some(sec(60)), &mut rng), Some(sec(60)));
    assert_eq!(next_delay(&s, 13, Some(sec(60)), &mut rng), None);
}
