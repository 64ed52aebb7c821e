//! `forwarding_store!(Wrapper { its own methods })`: the `EventStore` impl of a test wrapper
//! with an `inner` store, every call it does not write passed through unchanged, so a
//! wrapper writes only what it changes (its appends).

macro_rules! forwarding_store {
    ($wrapper:ty { $($own:tt)* }) => {
        #[async_trait::async_trait]
        impl EventStore for $wrapper {
        $($own)*
        async fn read_stream(&self, s: &str, v: Version) -> Result<Vec<RecordedEvent>, StoreError> {
            self.inner.read_stream(s, v).await
        }
        async fn read_payloads(
            &self,
            s: &str,
            v: Version,
        ) -> Result<Vec<EventPayload>, StoreError> {
            self.inner.read_payloads(s, v).await
        }
        async fn read_all(&self, a: Position, l: usize) -> Result<Vec<RecordedEvent>, StoreError> {
            self.inner.read_all(a, l).await
        }
        async fn read_types(
            &self,
            a: Position,
            l: usize,
            t: &[&str],
        ) -> Result<Window, StoreError> {
            self.inner.read_types(a, l, t).await
        }
        async fn stream_version(&self, s: &str) -> Result<Version, StoreError> {
            self.inner.stream_version(s).await
        }
        async fn head(&self) -> Result<Position, StoreError> {
            self.inner.head().await
        }
        async fn command_outcome(&self, c: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
            self.inner.command_outcome(c).await
        }
        async fn verify(&self, s: &str) -> Result<VerifyReport, StoreError> {
            self.inner.verify(s).await
        }
        async fn stats(&self) -> Result<StoreStats, StoreError> {
            self.inner.stats().await
        }
        fn watch_head(&self) -> tokio::sync::watch::Receiver<Position> {
            self.inner.watch_head()
        }
        fn describe(&self) -> String {
            self.inner.describe()
        }
        }
    };
}
