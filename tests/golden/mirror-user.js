
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "Mi Smart Band 4",
  "config": {
    "user": 1,
    "host": "192.168.0.22",
    "port": 3000,
    "orgId": 1,
    "panels": [11, 12, 31, 41],
    "refresh": "5m",
    "time_interval": "7d",
    "width": "25vw",
    "height": "20vh",
    "orientation": "row"
  }
},
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "Ann's \"band\" \\ / & {{name}}\n$HOME",
  "config": {
    "user": 2,
    "host": "192.168.0.22",
    "port": 3000,
    "orgId": 1,
    "panels": [11, 12, 31, 41],
    "refresh": "5m",
    "time_interval": "7d",
    "width": "25vw",
    "height": "20vh",
    "orientation": "row"
  }
},
{
  "module": "MMM-GrafanaEmbed",
  "position": "bottom_center",
  "header": "User 17",
  "config": {
    "user": 17,
    "host": "192.168.0.22",
    "port": 3000,
    "orgId": 1,
    "panels": [11, 12, 31, 41],
    "refresh": "5m",
    "time_interval": "7d",
    "width": "25vw",
    "height": "20vh",
    "orientation": "row"
  }
},