//! Link impairment (`ctnet impair`): what a lab does to an endpoint's interface to make it
//! a slow, lossy or broken link. Typed and parsed here, in tc's units; `sys` hands it to
//! the kernel as a netem qdisc (or tbf, when only the rate is limited: a kernel without
//! netem still shapes).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::refuse;

/// One direction's impairment: each part optional, at least one given.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Impairment {
    /// Microseconds added to every packet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_us: Option<u64>,
    /// Microseconds of variation around the delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_us: Option<u64>,
    /// Packets dropped, in parts per million.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_ppm: Option<u32>,
    /// Packets with a bit flipped, in parts per million.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt_ppm: Option<u32>,
    /// Bits per second at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u64>,
}

/// An endpoint's impairments: what leaves its interface (egress), what reaches it
/// (ingress), and whether the link is down (a flap).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkImpairment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Impairment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Impairment>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub down: bool,
}

impl LinkImpairment {
    pub fn is_none(&self) -> bool {
        *self == LinkImpairment::default()
    }
}

/// `50ms`, `1.5s`, `200us`: microseconds.
pub fn parse_duration(text: &str) -> Result<u64, UserError> {
    let units = [("us", 1.0), ("ms", 1e3), ("s", 1e6)];
    parse_with_units(text, &units)
        .map(|us| us.round() as u64)
        .ok_or_else(|| {
            UserError::new(format!(
                "invalid duration {text:?}: expected a number with us, ms or s (50ms)"
            ))
        })
}

/// `1%`, `0.5%`: parts per million.
pub fn parse_percent(text: &str) -> Result<u32, UserError> {
    let Some(value) = text.strip_suffix('%').and_then(|n| n.parse::<f64>().ok()) else {
        refuse!("invalid percentage {text:?}: expected a number and % (1%)");
    };
    if !(0.0..=100.0).contains(&value) {
        refuse!("invalid percentage {text:?}: between 0% and 100%");
    }
    Ok((value * 10_000.0).round() as u32)
}

/// `10mbit`, `1gbit`, `512kbit`, `100bit`, and tc's bytes: `1mbps`: bits per second.
pub fn parse_rate(text: &str) -> Result<u64, UserError> {
    let units = [
        ("kbit", 1e3),
        ("mbit", 1e6),
        ("gbit", 1e9),
        ("bit", 1.0),
        ("kbps", 8e3),
        ("mbps", 8e6),
        ("gbps", 8e9),
        ("bps", 8.0),
    ];
    match parse_with_units(&text.to_ascii_lowercase(), &units) {
        Some(bps) if bps >= 8.0 => Ok(bps.round() as u64),
        _ => refuse!(
            "invalid rate {text:?}: expected a number with bit, kbit, mbit or gbit (10mbit)"
        ),
    }
}

fn parse_with_units(text: &str, units: &[(&str, f64)]) -> Option<f64> {
    let (number, factor) = units
        .iter()
        .find_map(|(unit, factor)| Some((text.strip_suffix(unit)?, *factor)))?;
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value * factor)
}

fn duration_text(us: u64) -> String {
    match us {
        us if us % 1_000_000 == 0 => format!("{}s", us / 1_000_000),
        us if us % 1000 == 0 => format!("{}ms", us / 1000),
        us => format!("{us}us"),
    }
}

fn percent_text(ppm: u32) -> String {
    format!("{}%", f64::from(ppm) / 10_000.0)
}

fn rate_text(bps: u64) -> String {
    match bps {
        b if b % 1_000_000_000 == 0 => format!("{}gbit", b / 1_000_000_000),
        b if b % 1_000_000 == 0 => format!("{}mbit", b / 1_000_000),
        b if b % 1000 == 0 => format!("{}kbit", b / 1000),
        b => format!("{b}bit"),
    }
}

impl Impairment {
    /// Checks what the kernel would refuse, or take otherwise than meant.
    pub fn validate(&self) -> Result<(), UserError> {
        if *self == Impairment::default() {
            refuse!(
                "no impairment given: use --delay, --jitter, --loss, --corrupt or --rate (or --clear)"
            );
        }
        if self.jitter_us.is_some() && self.delay_us.is_none() {
            refuse!("--jitter varies a delay: give --delay too");
        }
        Ok(())
    }

    /// True if only the rate is limited: a token bucket (tbf) does it, without netem.
    pub fn rate_only(&self) -> bool {
        *self
            == Impairment {
                rate_bps: self.rate_bps,
                ..Impairment::default()
            }
    }

    /// The qdisc and its parameters, as `tc qdisc replace dev DEV root ...` takes them.
    pub fn tc_args(&self) -> Vec<String> {
        if let (true, Some(bps)) = (self.rate_only(), self.rate_bps) {
            // A bucket of 20 ms of traffic (at least a few full frames), and at most 50 ms
            // of queue: a shaped link, not a buffer.
            let burst = (bps / 8 / 50).max(16 * 1024);
            return [
                "tbf",
                "rate",
                &rate_text(bps),
                "burst",
                &burst.to_string(),
                "latency",
                "50ms",
            ]
            .map(String::from)
            .to_vec();
        }
        let mut args = vec!["netem".to_string()];
        if let Some(delay) = self.delay_us {
            args.extend(["delay".into(), duration_text(delay)]);
            args.extend(self.jitter_us.map(duration_text));
        }
        if let Some(loss) = self.loss_ppm {
            args.extend(["loss".into(), percent_text(loss)]);
        }
        if let Some(corrupt) = self.corrupt_ppm {
            args.extend(["corrupt".into(), percent_text(corrupt)]);
        }
        if let Some(rate) = self.rate_bps {
            args.extend(["rate".into(), rate_text(rate)]);
        }
        args
    }
}

/// As a user writes it: `delay 50ms 5ms loss 1% rate 10mbit`.
impl fmt::Display for Impairment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(delay) = self.delay_us {
            parts.push(format!("delay {}", duration_text(delay)));
        }
        if let Some(jitter) = self.jitter_us {
            parts.push(format!("jitter {}", duration_text(jitter)));
        }
        if let Some(loss) = self.loss_ppm {
            parts.push(format!("loss {}", percent_text(loss)));
        }
        if let Some(corrupt) = self.corrupt_ppm {
            parts.push(format!("corrupt {}", percent_text(corrupt)));
        }
        if let Some(rate) = self.rate_bps {
            parts.push(format!("rate {}", rate_text(rate)));
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse_as_tc_writes_them() {
        assert_eq!(parse_duration("50ms").unwrap(), 50_000);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500_000);
        assert_eq!(parse_duration("200us").unwrap(), 200);
        assert!(parse_duration("50").is_err() && parse_duration("-1ms").is_err());
        assert_eq!(parse_percent("1%").unwrap(), 10_000);
        assert_eq!(parse_percent("0.5%").unwrap(), 5_000);
        assert!(parse_percent("101%").is_err() && parse_percent("1").is_err());
        assert_eq!(parse_rate("10mbit").unwrap(), 10_000_000);
        assert_eq!(parse_rate("1mbps").unwrap(), 8_000_000);
        assert_eq!(parse_rate("512Kbit").unwrap(), 512_000);
        assert!(parse_rate("fast").is_err() && parse_rate("0bit").is_err());
    }

    #[test]
    fn a_rate_alone_is_a_token_bucket_and_the_rest_netem() {
        let rate = Impairment {
            rate_bps: Some(10_000_000),
            ..Impairment::default()
        };
        assert_eq!(rate.tc_args()[..3], ["tbf", "rate", "10mbit"]);
        let lab = Impairment {
            delay_us: Some(50_000),
            jitter_us: Some(5_000),
            loss_ppm: Some(10_000),
            rate_bps: Some(10_000_000),
            ..Impairment::default()
        };
        assert_eq!(
            lab.tc_args().join(" "),
            "netem delay 50ms 5ms loss 1% rate 10mbit"
        );
        assert_eq!(lab.to_string(), "delay 50ms jitter 5ms loss 1% rate 10mbit");
        assert!(Impairment::default().validate().is_err());
        let jitter_only = Impairment {
            jitter_us: Some(1),
            ..Impairment::default()
        };
        assert!(jitter_only.validate().is_err());
    }
}
