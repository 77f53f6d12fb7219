//! DataLoaders for records that other records point to: one query per batch, never per row.

use crate::{by_key_loader, grouped_loader};

by_key_loader!(DepartmentByCode, department, Code, code);
by_key_loader!(UserById, user, Id, id);
grouped_loader!(RolesByUser, role_assignment, UserId, user_id, Department);
