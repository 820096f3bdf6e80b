//! A Redis key prefix per test: the Redis is shared (never flushed), so each test writes under
//! a prefix of its own and its keys are deleted when the prefix is dropped.

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug)]
pub struct RedisPrefix {
    pub url: String,
    /// Ends with `:`, e.g. `test:fleet_4242_1733280000000000_0:`.
    pub prefix: String,
}

impl RedisPrefix {
    pub fn new(tag: &str) -> RedisPrefix {
        RedisPrefix { url: REDIS_URL.to_owned(), prefix: format!("test:{}:", crate::unique(tag)) }
    }

    /// The keys under this prefix now.
    pub async fn keys(&self) -> Vec<String> {
        let client = redis::Client::open(self.url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("KEYS").arg(format!("{}*", self.prefix)).query_async(&mut conn).await.unwrap()
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        let removed = crate::blocking::run(async move {
            let client = redis::Client::open(url.as_str())?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(&keys).query_async::<u64>(&mut conn).await?;
            }
            Ok::<_, redis::RedisError>(())
        });
        if !matches!(removed, Ok(Ok(()))) {
            eprintln!("could not delete the Redis keys under {}: {removed:?}", self.prefix);
        }
    }
}
