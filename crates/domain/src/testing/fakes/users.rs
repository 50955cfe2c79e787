//! [`UserRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

#[async_trait]
impl UserRepo for MemDb {
    async fn insert(&self, u: &NewUser) -> Result<User> {
        let mut t = self.tables();
        t.taken(u.id, Some(&u.email), Some(&u.username))?;
        let user = User {
            id: u.id,
            email: u.email.as_str().into(),
            verified_email: None,
            username: u.username.as_str().into(),
            name: u.name.as_str().into(),
            lastname: u.lastname.as_str().into(),
            is_admin: u.is_admin,
            is_2fa: u.is_2fa,
            is_active: true,
            phone: u.phone.as_ref().map(|p| p.as_str().into()),
            phone_verified_at: None,
            created_at: u.created_at,
            modified_at: u.created_at,
        };
        t.users.insert(u.id, StoredUser { user: user.clone(), password_hash: u.password_hash.clone() });
        Ok(user)
    }
    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(self.tables().users.get(&id).cloned())
    }
    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        Ok(self
            .tables()
            .users
            .values()
            .find(|s| match login {
                LoginName::Email(e) => s.user.email == e.as_str(),
                LoginName::Username(n) => s.user.username == n.as_str(),
            })
            .cloned())
    }
    async fn update_profile(&self, id: UserId, p: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>> {
        let mut t = self.tables();
        if !t.users.contains_key(&id) {
            return Ok(None);
        }
        t.taken(id, p.email.as_ref(), p.username.as_ref())?;
        if p.may_remove_an_admin() && t.is_last_active_admin(id) {
            return Err(Error::LastAdmin);
        }
        let u = &mut t.users.get_mut(&id).expect("checked above").user;
        if let Some(e) = &p.email {
            u.email = e.as_str().into()
        }
        if let Some(n) = &p.username {
            u.username = n.as_str().into()
        }
        if let Some(n) = &p.name {
            u.name = n.as_str().into()
        }
        if let Some(n) = &p.lastname {
            u.lastname = n.as_str().into()
        }
        if let Some(phone) = &p.phone {
            let phone = phone.as_ref().map(|p| p.as_str().to_owned());
            if phone != u.phone {
                u.phone_verified_at = None;
            }
            u.phone = phone;
        }
        if let Some(b) = p.is_2fa {
            u.is_2fa = b
        }
        if let Some(b) = p.is_admin {
            u.is_admin = b
        }
        if let Some(b) = p.is_active {
            u.is_active = b
        }
        if p.forget_proved_email {
            u.verified_email = None;
        }
        u.modified_at = now;
        let user = u.clone();
        if p.email.is_some() {
            t.cancel_open_links(id, now);
        }
        Ok(Some(user))
    }
    async fn confirm_phone(&self, id: UserId, phone: &str, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().users.get_mut(&id) {
            Some(s) if s.user.phone.as_deref() == Some(phone) => {
                s.user.phone_verified_at = Some(now);
                s.user.modified_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn confirm_email(&self, id: UserId, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        match t.users.get_mut(&id) {
            Some(s) if s.user.email == email => {
                s.user.verified_email = Some(email.into());
                s.user.modified_at = now;
            }
            _ => return Ok(false),
        }
        // The address proved is this user's alone now: whoever proved it
        // before and moved on no longer gets mail there.
        for other in t.users.values_mut().filter(|s| s.user.id != id && s.user.verified_email.as_deref() == Some(email))
        {
            other.user.verified_email = None;
            other.user.modified_at = now;
        }
        Ok(true)
    }
    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(s) = t.users.get_mut(&id) else {
            return Ok(false);
        };
        s.password_hash = hash.into();
        s.user.modified_at = now;
        t.cancel_open_links(id, now);
        Ok(true)
    }
    async fn delete(&self, id: UserId) -> Result<bool> {
        let mut t = self.tables();
        if t.is_last_active_admin(id) {
            return Err(Error::LastAdmin);
        }
        if t.users.remove(&id).is_none() {
            return Ok(false);
        }
        // ON DELETE CASCADE
        t.sessions.retain(|_, s| s.user_id != id);
        t.otps.retain(|_, c| c.owner != Subject::User(id));
        t.deliveries.retain(|_, d| d.user_id != Some(id));
        t.totp.remove(&id);
        t.recovery.remove(&id);
        t.passkeys.retain(|_, p| p.user_id != id);
        t.trusted_devices.retain(|_, (d, _)| d.user_id != id);
        t.consents.retain(|(user, _), _| *user != id);
        t.codes.retain(|_, (c, _, _)| c.user_id != id);
        Ok(true)
    }
    async fn list(&self, q: &UserQuery) -> Result<Vec<User>> {
        let mut users: Vec<User> = self
            .tables()
            .users
            .values()
            .map(|s| s.user.clone())
            .filter(|u| q.after.is_none_or(|a| u.id > a))
            .filter(|u| q.is_active.is_none_or(|b| u.is_active == b))
            .filter(|u| q.is_admin.is_none_or(|b| u.is_admin == b))
            .filter(|u| q.is_2fa.is_none_or(|b| u.is_2fa == b))
            .filter(|u| {
                q.search.as_ref().is_none_or(|t| {
                    [&u.email, &u.username, &u.name, &u.lastname].iter().any(|f| f.to_lowercase().contains(t.as_str()))
                })
            })
            .collect();
        users.sort_by_key(|u| u.id);
        users.truncate(q.limit as usize);
        Ok(users)
    }
    async fn any_active_admin(&self) -> Result<bool> {
        Ok(self.tables().users.values().any(|s| s.user.is_admin && s.user.is_active))
    }
}
