"""Operations for one box: deploys, the service, backups, the admin token, maintenance."""
