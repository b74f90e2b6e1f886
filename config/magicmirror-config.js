/* MagicMirror² config.js with Mi Band panels from Grafana (module MMM-GrafanaEmbed).
 *
 * `miband-grafana -s` prints these entries for your own bands, with your Grafana address.
 * Grafana must allow embedding and anonymous viewers: see grafana-embedding.ini.
 * Panel IDs: 11 steps per day, 12 steps today, 13 best steps, 21 calories per day,
 * 22 calories today, 31 heart rate, 32 heart rate today, 41 battery, 51 sleep time,
 * 52 sleep hours per day, 53 last night sleep, 61 activities today.
 */
let config = {
  address: "localhost",
  port: 8080,
  language: "en",
  modules: [
    { module: "clock", position: "top_left" },
    // Newer MMM-GrafanaEmbed: `user: N` derives the dashboard of band N ("User N").
    {
      module: "MMM-GrafanaEmbed",
      position: "bottom_center",
      header: "Alice",
      config: {
        user: 1,
        host: "192.168.0.22",
        port: 3000,
        orgId: 1,
        panels: [11, 12, 31, 41],
        refresh: "5m",
        time_interval: "7d",
        width: "25vw",
        height: "20vh",
        orientation: "row"
      }
    },
    // The same with the dashboard named explicitly (UID and slug, as `miband-grafana -s` shows).
    {
      module: "MMM-GrafanaEmbed",
      position: "bottom_center",
      config: {
        id: "c9b38467-5d9a-3c27-918d-cfa1bd575db2",
        name: "mi-band-data-user-1",
        host: "192.168.0.22",
        port: 3000,
        panels: [52, 53]
      }
    },
    // The older module version of ARCO's recipe: dash_id / dash_name.
    {
      module: "MMM-GrafanaEmbed",
      position: "bottom_right",
      config: {
        host: "192.168.0.22",
        port: 3000,
        dash_id: "c9b38467-5d9a-3c27-918d-cfa1bd575db2",
        dash_name: "mi-band-data-user-1",
        dash_username: "Alice",
        dash_orgId: 1,
        panels: [11],
        dash_refresh: "5m",
        dash_interval: "7d",
        width: "450px",
        height: "200px"
      }
    }
  ]
};

/*************** DO NOT EDIT THE LINE BELOW ***************/
if (typeof module !== "undefined") { module.exports = config; }
