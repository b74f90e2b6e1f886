
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "Mi Smart Band 4",
  "config": {
    "dash_id": "c9b38467-5d9a-3c27-918d-cfa1bd575db2",
    "dash_name": "mi-band-data-user-1",
    "dash_username": "Mi Smart Band 4",
    "host": "192.168.0.22",
    "port": 3000,
    "dash_orgId": 1,
    "panels": [11, 12, 31, 41],
    "dash_refresh": "5m",
    "dash_interval": "7d",
    "width": "450px",
    "height": "200px"
  }
},
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "Ann's \"band\" \\ / & {{name}}\n$HOME",
  "config": {
    "dash_id": "c68d3e86-22a1-33c6-af14-fa6b90005e0c",
    "dash_name": "mi-band-data-user-2",
    "dash_username": "Ann's \"band\" \\ / & {{name}}\n$HOME",
    "host": "192.168.0.22",
    "port": 3000,
    "dash_orgId": 1,
    "panels": [11, 12, 31, 41],
    "dash_refresh": "5m",
    "dash_interval": "7d",
    "width": "450px",
    "height": "200px"
  }
},
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "User 17",
  "config": {
    "dash_id": "3f6f03c8-9f24-38c0-8190-b117529f8306",
    "dash_name": "mi-band-data-user-17",
    "dash_username": "User 17",
    "host": "192.168.0.22",
    "port": 3000,
    "dash_orgId": 1,
    "panels": [11, 12, 31, 41],
    "dash_refresh": "5m",
    "dash_interval": "7d",
    "width": "450px",
    "height": "200px"
  }
},