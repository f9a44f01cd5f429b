//! Moving over from Django: `gatehouse import-django-users FILE` reads what
//! `python manage.py dumpdata auth.user` writes and creates the users with
//! their Django password hashes, which login accepts and replaces with
//! argon2id on the first success.

pub mod dump;
pub mod hash;
pub mod import;

pub use hash::is_django_hash;
pub use import::{import_file, Report};
