//! Short forms of the most used typed calls. Every method also has its call struct in
//! [`calls`](super::calls), sent with [`WsApiClient::call`].

use super::calls::{self, NewOrder, OrderRef};
use super::credentials::Credentials;
use super::error::WsApiError;
use super::results::*;
use super::session::WsApiClient;

impl WsApiClient {
    /// `ping` (weight 1).
    pub async fn ping(&self) -> Result<(), WsApiError> {
        self.call(&calls::Ping::default()).await.map(|_| ())
    }

    /// `time` (weight 1).
    pub async fn time(&self) -> Result<ServerTime, WsApiError> {
        self.call(&calls::Time::default()).await
    }

    /// `exchangeInfo` for one symbol, or all when `None` (weight 20).
    pub async fn exchange_info(&self, symbol: Option<&str>) -> Result<ExchangeInfo, WsApiError> {
        self.call(&calls::ExchangeInfo {
            symbol: symbol.map(str::to_owned),
            ..Default::default()
        })
        .await
    }

    /// `depth` (weight 5..250 by `limit`).
    pub async fn depth(&self, symbol: &str, limit: Option<u32>) -> Result<Depth, WsApiError> {
        self.call(&calls::Depth {
            symbol: symbol.to_owned(),
            limit,
            ..Default::default()
        })
        .await
    }

    /// `ticker.price` for one symbol (weight 2).
    pub async fn ticker_price(&self, symbol: &str) -> Result<TickerPrice, WsApiError> {
        let r = self
            .call(&calls::TickerPrice {
                symbol: Some(symbol.to_owned()),
                ..Default::default()
            })
            .await?;
        r.into_vec().pop().ok_or_else(|| WsApiError::Decode {
            method: "ticker.price".into(),
            reason: "empty result".into(),
        })
    }

    /// `account.status` (USER_DATA, weight 20).
    pub async fn account_status(&self) -> Result<AccountStatus, WsApiError> {
        self.call(&calls::AccountStatus::default()).await
    }

    /// `order.test` (TRADE, weight 1): validates without placing.
    pub async fn order_test(&self, order: &NewOrder) -> Result<(), WsApiError> {
        self.call(&order.to_test()).await.map(|_| ())
    }

    /// `order.place` (TRADE, weight 1, one unfilled order), `newOrderRespType=RESULT`
    /// unless the order says otherwise.
    pub async fn order_place(&self, order: &NewOrder) -> Result<Order, WsApiError> {
        let mut order = order.clone();
        order
            .new_order_resp_type
            .get_or_insert(calls::ResponseType::Result);
        self.call(&order).await
    }

    /// `order.status` (USER_DATA, weight 4).
    pub async fn order_status(&self, symbol: &str, order: &OrderRef) -> Result<Order, WsApiError> {
        let (order_id, orig_client_order_id) = order.split();
        self.call(&calls::OrderStatus {
            symbol: symbol.to_owned(),
            order_id,
            orig_client_order_id,
            ..Default::default()
        })
        .await
    }

    /// `order.cancel` (TRADE, weight 1).
    pub async fn order_cancel(&self, symbol: &str, order: &OrderRef) -> Result<Order, WsApiError> {
        let (order_id, orig_client_order_id) = order.split();
        self.call(&calls::OrderCancel {
            symbol: symbol.to_owned(),
            order_id,
            orig_client_order_id,
            ..Default::default()
        })
        .await
    }

    /// `openOrders.status` for a symbol (weight 6) or all (weight 80).
    pub async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<Order>, WsApiError> {
        self.call(&calls::OpenOrdersStatus {
            symbol: symbol.map(str::to_owned),
            ..Default::default()
        })
        .await
    }

    /// `userDataStream.subscribe` (needs an Ed25519 logged-on session); events arrive on
    /// [`user_data_events`](WsApiClient::user_data_events), and the session subscribes again
    /// after a reconnect.
    pub async fn user_data_subscribe(&self) -> Result<Subscription, WsApiError> {
        self.call(&calls::UserDataStreamSubscribe::default()).await
    }

    /// `userDataStream.subscribe.signature` for the account of `credentials` (any key type,
    /// any session): several accounts on one connection. Renewed after a reconnect.
    pub async fn user_data_subscribe_signature(
        &self,
        credentials: &Credentials,
    ) -> Result<Subscription, WsApiError> {
        self.call_as(
            &calls::UserDataStreamSubscribeSignature::default(),
            credentials,
        )
        .await
    }

    /// `userDataStream.unsubscribe` of one subscription, or of all (`None`).
    pub async fn user_data_unsubscribe(
        &self,
        subscription_id: Option<u64>,
    ) -> Result<(), WsApiError> {
        self.call(&calls::UserDataStreamUnsubscribe {
            subscription_id,
            ..Default::default()
        })
        .await
        .map(|_| ())
    }

    /// `session.subscriptions`: the connection's active subscriptions.
    pub async fn session_subscriptions(&self) -> Result<Vec<Subscription>, WsApiError> {
        self.call(&calls::SessionSubscriptions::default()).await
    }

    /// `session.logon` (Ed25519 only). The session does this itself after every connect
    /// unless [`logon`](super::WsApiConfig::logon) is off.
    pub async fn session_logon(&self) -> Result<SessionInfo, WsApiError> {
        self.call(&calls::SessionLogon::default()).await
    }

    /// `session.status`.
    pub async fn session_status(&self) -> Result<SessionInfo, WsApiError> {
        self.call(&calls::SessionStatus::default()).await
    }

    /// `session.logout`.
    pub async fn session_logout(&self) -> Result<SessionInfo, WsApiError> {
        self.call(&calls::SessionLogout::default()).await
    }
}
